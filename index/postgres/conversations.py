"""Conversations kept in PostgreSQL, so that any API process can answer a follow-up.

An UNLOGGED table: conversations are short-lived and cheap to lose in a database crash, and
unlogged writes skip the write-ahead log, which keeps the extra write per question cheap.
"""

from __future__ import annotations

from index.postgres.store import PostgresStore

SCHEMA = """
CREATE UNLOGGED TABLE IF NOT EXISTS qa_conversations (
    id TEXT PRIMARY KEY, client TEXT NOT NULL, touched DOUBLE PRECISION NOT NULL, turns JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS qa_conversations_by_client ON qa_conversations (client, touched);
CREATE INDEX IF NOT EXISTS qa_conversations_by_time ON qa_conversations (touched);
"""


class PostgresConversations:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        with store.cursor() as cur:
            cur.execute(SCHEMA.encode())

    def get_conversation(self, conversation_id: str) -> tuple[str, float, str] | None:
        with self._store.cursor() as cur:
            row = cur.execute("SELECT client, touched, turns::text FROM qa_conversations WHERE id = %s",
                              (conversation_id,)).fetchone()
        return (str(row[0]), float(row[1]), str(row[2])) if row else None

    def put_conversation(self, conversation_id: str, client: str, touched: float, turns: str) -> None:
        with self._store.cursor() as cur:
            cur.execute("INSERT INTO qa_conversations VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE "
                        "SET touched = EXCLUDED.touched, turns = EXCLUDED.turns",
                        (conversation_id, client.replace("\x00", ""), touched, turns))

    def prune_conversations(self, client: str, keep: int, expired_before: float, max_total: int) -> None:
        """Drop expired conversations, the client's beyond its `keep` newest (0 = no bound), and
        the oldest beyond `max_total`. Rows another process has locked are skipped, never waited
        for: two processes trimming the same client in different orders deadlocked, and this is
        housekeeping that the next question finishes."""
        with self._store.cursor() as cur:
            cur.execute("DELETE FROM qa_conversations WHERE id IN (SELECT id FROM qa_conversations "
                        "WHERE touched < %s FOR UPDATE SKIP LOCKED)", (expired_before,))
            if keep:
                cur.execute("DELETE FROM qa_conversations WHERE id IN (SELECT id FROM qa_conversations "
                            "WHERE client = %s ORDER BY touched DESC OFFSET %s FOR UPDATE SKIP LOCKED)",
                            (client, keep))
            cur.execute("DELETE FROM qa_conversations WHERE id IN (SELECT id FROM qa_conversations "
                        "ORDER BY touched DESC OFFSET %s FOR UPDATE SKIP LOCKED)", (max_total,))
