"""Reader feedback on answers, kept beside the documents for later evaluation."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from index.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, created_at REAL NOT NULL, helpful INTEGER NOT NULL,
    conversation_id TEXT, question TEXT, answer TEXT, document_id TEXT, comment TEXT, extra TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Feedback:
    helpful: bool
    conversation_id: str | None = None
    question: str | None = None
    answer: str | None = None
    document_id: str | None = None
    comment: str | None = None
    extra: dict[str, Any] | None = None


class FeedbackLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        with store.lock:
            store.connection.executescript(SCHEMA)

    def add(self, item: Feedback) -> int:
        with self._store.lock:
            cur = self._store.connection.execute(
                "INSERT INTO feedback(created_at, helpful, conversation_id, question, answer, document_id, comment,"
                " extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), int(item.helpful), item.conversation_id, item.question, item.answer,
                 item.document_id, item.comment, json.dumps(item.extra or {})))
        return int(cur.lastrowid or 0)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._store.lock:
            rows = self._store.connection.execute(
                "SELECT id, created_at, helpful, conversation_id, question, answer, document_id, comment "
                "FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        keys = ("id", "created_at", "helpful", "conversation_id", "question", "answer", "document_id", "comment")
        return [dict(zip(keys, r, strict=True)) | {"helpful": bool(r[2])} for r in rows]
