"""Readers' questions for editors, kept in SQLite beside the store (`index.insights`).

A database file of its own, as conversations have: answers hold the store's lock while they are
put together, and a row written there would wait for them (and they for its fsync). WAL with
synchronous=NORMAL is crash-safe (a crash or power loss may lose the last commits, never leaves the
file damaged), and the rows are statistics: losing the last second of them costs nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import CorruptFile, StoreUnavailable
from index.insights import FIELDS, Insight, StoredInsight, Verdict, stored
from index.sqlite.connection import Transaction

# A column added later is added at open, as `add_suggestions_column` does for the store.
SCHEMA = """
CREATE TABLE IF NOT EXISTS insights (
    id INTEGER PRIMARY KEY, answer_id TEXT NOT NULL, created_at REAL NOT NULL, document_id TEXT,
    question TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT, confidence REAL, answer TEXT, helpful INTEGER
);
CREATE INDEX IF NOT EXISTS insights_by_answer ON insights (answer_id);
CREATE INDEX IF NOT EXISTS insights_by_time ON insights (created_at);
CREATE INDEX IF NOT EXISTS insights_by_document ON insights (document_id, created_at);
"""
FILE = "insights.sqlite3"


class SqliteInsights:
    def __init__(self, path: Path) -> None:
        # A writer of another process holds the file for a moment: wait for it rather than fail.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.Lock()
        try:
            with self._cursor() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(SCHEMA)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:  # busy, locked or unwritable: worth another try later
                raise StoreUnavailable(f"insights unavailable: {exc}") from exc
            except sqlite3.DatabaseError as exc:
                raise CorruptFile(f"insights database is unreadable: {exc}") from exc

    def write_insights(self, rows: list[Insight], verdicts: list[Verdict], keep: int,
                       expired_before: float) -> None:
        marks = ", ".join("?" * len(FIELDS))
        with self._cursor() as conn, Transaction(conn):
            conn.executemany(f"INSERT INTO insights ({', '.join(FIELDS)}) VALUES ({marks})",
                             [row.values() for row in rows])
            conn.executemany("UPDATE insights SET helpful = ? WHERE answer_id = ?",
                             [(int(v.helpful), v.answer_id) for v in verdicts])
            conn.execute("DELETE FROM insights WHERE created_at < ?", (expired_before,))
            # Ids only grow, so the oldest are those `keep` or more below the newest.
            conn.execute("DELETE FROM insights WHERE id <= (SELECT max(id) FROM insights) - ?", (keep,))

    def read_insights(self, since: float, document_id: str | None = None) -> list[StoredInsight]:
        params: list[object]
        columns = ", ".join((*FIELDS, "helpful"))
        where, params = "created_at >= ?", [since]
        if document_id is not None:
            where, params = where + " AND document_id = ?", [*params, document_id]
        with self._cursor() as conn:
            rows = conn.execute(f"SELECT {columns} FROM insights WHERE {where} ORDER BY id", params).fetchall()
        return [stored(r) for r in rows]
