"""Readiness of the whole server, not of one worker. With QA_WORKERS > 1 every process loads on
its own, and the kernel hands a connection to any of them: a /readyz that answered for its own
process said "ready" while the next request could land on a process still loading (503). Each
worker marks itself ready with a file named after the server (its parent) and itself; the
server is ready when all QA_WORKERS of them are (a killed worker's file goes with its process)."""

from __future__ import annotations

import os
from pathlib import Path


class Readiness:
    def __init__(self, directory: Path, workers: int) -> None:
        self.directory = directory
        self.workers = workers
        self.server = os.getppid()  # uvicorn's supervisor: the workers of one `qa serve` share it
        self.mine = directory / f"{self.server}-{os.getpid()}"

    def mark(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.mine.touch()

    def clear(self) -> None:
        self.mine.unlink(missing_ok=True)

    def loading(self) -> int:
        """How many of the server's workers are not ready yet (0: all are)."""
        return max(0, self.workers - sum(1 for pid in self._marked() if _alive(pid)))

    def _marked(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        prefix = f"{self.server}-"
        found = [p.name.removeprefix(prefix) for p in self.directory.iterdir() if p.name.startswith(prefix)]
        return [int(pid) for pid in found if pid.isdigit()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
