"""Conversations kept in SQLite beside the store, so that any serving process on the same data
folder can answer a follow-up.

A database file of their own, written without fsync: conversations are short-lived and cheap to
lose in a crash (as PostgreSQL's unlogged table), a question must not wait for the disk, and the
store's writers never queue behind a reader's conversation.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, client TEXT NOT NULL, touched REAL NOT NULL, turns TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_client ON conversations (client, touched);
CREATE INDEX IF NOT EXISTS conversations_by_time ON conversations (touched);
"""


class SqliteConversations:
    def __init__(self, path: Path) -> None:
        # A writer of another process holds the file for a moment: wait for it rather than fail.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.Lock()
        with self._cursor() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:  # busy or unwritable: the caller says what it costs
                raise StoreUnavailable(f"conversations unavailable: {exc}") from exc

    def get_conversation(self, conversation_id: str) -> tuple[str, float, str] | None:
        with self._cursor() as conn:
            row = conn.execute("SELECT client, touched, turns FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
        return (str(row[0]), float(row[1]), str(row[2])) if row else None

    def put_conversation(self, conversation_id: str, client: str, touched: float, turns: str) -> None:
        with self._cursor() as conn:
            conn.execute("INSERT INTO conversations VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                         "SET touched = excluded.touched, turns = excluded.turns",
                         (conversation_id, client, touched, turns))

    def prune_conversations(self, client: str, keep: int, expired_before: float, max_total: int) -> None:
        """Drop expired conversations, the client's beyond its `keep` newest (0 = no bound), and
        the oldest beyond `max_total`."""
        with self._cursor() as conn:
            conn.execute("DELETE FROM conversations WHERE touched < ?", (expired_before,))
            if keep:
                conn.execute("DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
                             "WHERE client = ? ORDER BY touched DESC LIMIT -1 OFFSET ?)", (client, keep))
            conn.execute("DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
                         "ORDER BY touched DESC LIMIT -1 OFFSET ?)", (max_total,))
