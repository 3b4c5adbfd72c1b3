"""The SQLite store's connection helpers: its lock, its write transactions, a schema upgrade,
reading one meta value before the store is opened, and the database files beside the store."""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import CorruptFile, StorageFull, StoreUnavailable


class StoreLock:
    """The store's re-entrant lock. While it is held, the generation is read from the database once:
    an answer holds it throughout and would read it ten times (one memo after another); writes
    from this process need the lock, and those of another process show from the next hold."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self.generation: int | None = None

    def __enter__(self) -> StoreLock:
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.generation = None
        self._lock.release()


class Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            try:
                self._conn.execute("COMMIT")
                return
            except sqlite3.Error as failed:
                exc = failed
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        if disk_full(exc):  # rolled back: nothing of the write is stored
            raise StorageFull("the disk is full; nothing was stored") from exc
        if exc_type is None:
            raise exc


def disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def add_suggestions_column(conn: sqlite3.Connection) -> None:
    """Databases made before suggested questions existed get the column; their documents are
    prepared again when the service opens (the ingest recipe changed), which fills it."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "suggestions" not in columns:
        conn.execute("ALTER TABLE documents ADD COLUMN suggestions TEXT NOT NULL DEFAULT '[]'")


def read_meta(path: Path, key: str) -> str | None:
    """One meta value of a database file, read before the store is opened (to choose the encoder
    its vectors came from); None when there is no such file, table or key."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:  # not a database (yet): opening the store says what is wrong with it
        return None
    return str(row[0]) if row else None


class SideFile:
    """A database file beside the store (conversations, insights): one connection shared by the
    serving threads under a lock, in WAL mode, with SQLite's errors raised as the index's own."""

    def __init__(self, path: Path, what: str, synchronous: str, schema: str) -> None:
        self.what = what
        # A writer of another process holds the file for a moment: wait for it rather than fail.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.Lock()
        try:
            with self.cursor() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={synchronous}")
                conn.executescript(schema)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:  # busy, locked or unwritable: worth another try later
                raise StoreUnavailable(f"{self.what} unavailable: {exc}") from exc
            except sqlite3.DatabaseError as exc:
                raise CorruptFile(f"{self.what} database is unreadable: {exc}") from exc
