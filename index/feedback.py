"""Reader feedback on answers, kept beside the documents for later evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELDS = ("id", "created_at", "helpful", "conversation_id", "question", "answer", "document_id", "comment")


@dataclass(frozen=True)
class Feedback:
    helpful: bool
    conversation_id: str | None = None
    question: str | None = None
    answer: str | None = None
    document_id: str | None = None
    comment: str | None = None
    extra: dict[str, Any] | None = None

    def values(self) -> tuple[object, ...]:
        """The columns after id and created_at, in table order (`extra` as JSON by the caller)."""
        return (bool(self.helpful), self.conversation_id, self.question, self.answer, self.document_id,
                self.comment)


def as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(FIELDS, row, strict=True)) | {"helpful": bool(row[2])}
