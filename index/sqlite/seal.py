"""A checksum over the SQLite file, written at a clean shutdown and verified at the next start.

SQLite's own checks find broken structure, not a flipped byte inside a row. So the last process
to close the database seals it (SHA-256 of the file, written crash-safely beside it) and the next
first opener verifies the seal before trusting the file, then breaks it, since the file is about
to change. After a crash there is no seal, and the store runs SQLite's full integrity check
instead. An advisory lock tells first opener and last closer apart, so a CLI run beside a
running server neither verifies a file in use nor seals one that is still being written.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

from index.errors import CorruptFile, StorageFull
from index.files import atomic_write, fsync_dir, sha256_file

log = logging.getLogger("index.seal")


class Seal:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".sha256")
        self._lock_fd = os.open(database.with_name(database.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        self._closed = False

    def open(self) -> bool:
        """Verify and break the seal if this process is the first opener. Returns whether the
        file was verified (False: no seal, e.g. after a crash, or others have it open)."""
        first = _try_lock(self._lock_fd, fcntl.LOCK_EX)
        try:
            verified = first and self._verify()
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)  # held while open: others see we use it
        return verified

    def close(self) -> None:
        """Seal the file if no other process has it open; release the lock either way."""
        if self._closed:
            return
        self._closed = True
        try:
            if _try_lock(self._lock_fd, fcntl.LOCK_EX) and self.database.exists():
                seal = {"sha256": sha256_file(self.database), "size": self.database.stat().st_size}
                atomic_write(self.path, json.dumps(seal).encode())
        except StorageFull:
            # Unsealed is what a crash leaves: the next start checks the database as after one.
            log.warning("the database could not be sealed at shutdown (disk full); the next start checks it")
        finally:
            os.close(self._lock_fd)

    def _verify(self) -> bool:
        if not self.path.exists():
            return False
        try:
            seal = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptFile(f"{self.path} is unreadable: {exc}") from exc
        if not self.database.exists() or seal.get("size") != self.database.stat().st_size \
                or seal.get("sha256") != sha256_file(self.database):
            raise CorruptFile(f"{self.database} does not match the checksum sealed at its last clean shutdown")
        self.path.unlink()  # the file changes from now on
        fsync_dir(self.path.parent)
        return True


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
