"""Conversations kept in SQLite beside the store, so that any serving process on the same data
folder can answer a follow-up.

A database file of their own, written without fsync: conversations are short-lived and cheap to
lose in a crash (as PostgreSQL's unlogged table), a question must not wait for the disk, and the
store's writers never queue behind a reader's conversation.
"""

from __future__ import annotations

from pathlib import Path

from index.sqlite.connection import SideFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, client TEXT NOT NULL, touched REAL NOT NULL, turns TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_client ON conversations (client, touched);
CREATE INDEX IF NOT EXISTS conversations_by_time ON conversations (touched);
"""


class SqliteConversations:
    def __init__(self, path: Path) -> None:
        self._db = SideFile(path, "conversations", "OFF", SCHEMA)
        self._cursor = self._db.cursor

    def close(self) -> None:
        self._db.close()

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
