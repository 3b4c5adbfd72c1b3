"""What readers asked and what they got, one row per question, for editors (`qa.insights.report` decides
what goes in and reads it back). A row names the article and the outcome, never the reader: no
client address, key or conversation id is a column, so none can be stored with a question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OUTCOMES = ("answered", "closest", "abstained")
# Every column a row is written with, in table order after the row's own id.
FIELDS = ("answer_id", "created_at", "document_id", "question", "outcome", "reason", "confidence", "answer")
MAX_QUESTION = 2000  # characters kept of a question and of the answer shown: a row's size is bounded
MAX_ANSWER = 1000


@dataclass(frozen=True)
class Insight:
    """One question as the service understood it (spelling corrected, a follow-up's referents
    added) and what the reader was shown."""

    answer_id: str  # random, given to the reader with the answer so that feedback can find the row
    created_at: float
    document_id: str | None  # the article asked about (or that answered); None = every article, none answered
    question: str
    outcome: str  # one of OUTCOMES
    reason: str | None = None  # why not answered: "uncertain", "not_in_article", "unresolved_follow_up"
    confidence: float | None = None
    answer: str | None = None  # the passage shown, answer or closest

    def values(self) -> tuple[object, ...]:
        """The columns of `FIELDS`, bounded in size."""
        return (self.answer_id, self.created_at, self.document_id, self.question[:MAX_QUESTION], self.outcome,
                self.reason, self.confidence, self.answer[:MAX_ANSWER] if self.answer is not None else None)


@dataclass(frozen=True)
class Verdict:
    """A reader's thumbs up or down, for the row of the answer it was given on."""

    answer_id: str
    helpful: bool


@dataclass(frozen=True)
class StoredInsight(Insight):
    helpful: bool | None = None  # None: no feedback on this answer


def stored(row: tuple[Any, ...]) -> StoredInsight:
    """A row of `FIELDS` then `helpful`, as read back by either backend."""
    values: dict[str, Any] = dict(zip(FIELDS, row, strict=False))
    helpful = row[len(FIELDS)]
    return StoredInsight(**values, helpful=None if helpful is None else bool(helpful))
