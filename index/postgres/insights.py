"""Readers' questions for editors, kept in PostgreSQL (`index.insights`).

A logged table (a database crash keeps every committed row), written over a connection of its
own: the store's connection is held for the whole of an answer (its snapshot), and a batch of rows
must neither wait for answers nor keep one waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from index.errors import StoreUnavailable
from index.insights import FIELDS, Insight, StoredInsight, Verdict, stored
from index.postgres.sql import SCHEMA_LOCK, cursor_of, no_nul

# A column added later is added here with ADD COLUMN IF NOT EXISTS, as the store's schema does.
SCHEMA = """
CREATE TABLE IF NOT EXISTS qa_insights (
    id BIGSERIAL PRIMARY KEY, answer_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, document_id TEXT,
    question TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT, confidence DOUBLE PRECISION, answer TEXT,
    helpful BOOLEAN
);
CREATE INDEX IF NOT EXISTS qa_insights_by_answer ON qa_insights (answer_id);
CREATE INDEX IF NOT EXISTS qa_insights_by_time ON qa_insights (created_at);
CREATE INDEX IF NOT EXISTS qa_insights_by_document ON qa_insights (document_id, created_at);
"""


class PostgresInsights:
    def __init__(self, url: str, options: str = "") -> None:
        self._url, self._options = url, options
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))  # processes starting together
            try:
                cur.execute(SCHEMA.encode())
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    @contextmanager
    def _cursor(self, transaction: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        with self._lock:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10,
                                                 options=self._options)
            except psycopg.OperationalError as exc:  # the message may name the host: keep it out of replies
                raise StoreUnavailable(f"insights unavailable: {type(exc).__name__}") from exc
            with cursor_of(self._conn, transaction, "insights unavailable") as cur:
                yield cur

    def write_insights(self, rows: list[Insight], verdicts: list[Verdict], keep: int,
                       expired_before: float) -> None:
        with self._cursor(transaction=True) as cur:
            if rows:
                with cur.copy(f"COPY qa_insights ({', '.join(FIELDS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(tuple(no_nul(v) for v in row.values()))
            for verdict in verdicts:
                cur.execute("UPDATE qa_insights SET helpful = %s WHERE answer_id = %s",
                            (verdict.helpful, no_nul(verdict.answer_id)))
            cur.execute("DELETE FROM qa_insights WHERE created_at < %s", (expired_before,))
            # Ids only grow (gaps left by other processes only make it keep fewer).
            cur.execute("DELETE FROM qa_insights WHERE id <= (SELECT max(id) FROM qa_insights) - %s", (keep,))

    def read_insights(self, since: float, document_id: str | None = None) -> list[StoredInsight]:
        columns = ", ".join((*FIELDS, "helpful"))
        with self._cursor() as cur:
            if document_id is None:
                found = cur.execute(f"SELECT {columns} FROM qa_insights WHERE created_at >= %s ORDER BY id",
                                    (since,))
            else:
                found = cur.execute(f"SELECT {columns} FROM qa_insights WHERE created_at >= %s AND document_id = %s "
                                    "ORDER BY id", (since, no_nul(document_id)))
            return [stored(r) for r in found.fetchall()]
