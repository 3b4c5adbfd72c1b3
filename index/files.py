"""Crash-safe file writes: temp file, fsync, rename, fsync the directory."""

import errno
import fcntl
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import StorageFull


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)  # a full disk must not keep a half-written copy as well
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(f"no space left to write {path.name}") from exc
        raise
    fsync_dir(path.parent)


def atomic_write_by(path: Path, write: Callable[[Path], None]) -> None:
    """As `atomic_write`, for a writer that takes a file name (FAISS's `write_index`): the data
    goes to disk as it is produced rather than being held in memory as one copy first."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # FAISS reports a failed write as a RuntimeError
        tmp.unlink(missing_ok=True)
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        if full or "No space left" in str(exc):
            raise StorageFull(f"no space left to write {path.name}") from exc
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    # The rename itself lives in the directory entry; without this it may not survive power loss.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Held by one process (or thread) at a time: of several server processes starting together,
    one does a one-time job such as exporting the model, and the others wait and find it done."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock, also when the job failed


class WriteLock:
    """One writer at a time across the processes sharing a data folder (an exclusive `flock` on
    `path`) and the threads of each; re-entrant within a thread, so a check-then-write sequence
    can hold it around writes that take it again."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mutex = threading.RLock()
        self._depth = 0
        self._fd = -1

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._mutex:
            if self._depth == 0:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    os.close(self._fd)  # releases the lock

    @contextmanager
    def idle(self) -> Iterator[bool]:
        """Whether no writer (of any process, this one included) holds the lock; while the body
        runs, none can start. Never waits."""
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
