"""Readers' questions for editors, kept in SQLite beside the store (`index.insights`).

A database file of its own, as conversations have: answers hold the store's lock while they are
put together, and a row written there would wait for them (and they for its fsync). WAL with
synchronous=NORMAL is crash-safe (a crash or power loss may lose the last commits, never leaves the
file damaged), and the rows are statistics: losing the last second of them costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from index.insights import FIELDS, Insight, StoredInsight, Verdict, stored
from index.sqlite.connection import SideFile, Transaction

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
        self._db = SideFile(path, "insights", "NORMAL", SCHEMA)
        self._cursor = self._db.cursor

    def close(self) -> None:
        self._db.close()

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
