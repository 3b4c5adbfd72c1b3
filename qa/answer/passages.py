"""Passages as returned to readers, and the decision to answer or to abstain."""

from __future__ import annotations

from dataclasses import dataclass

from index.protocols import Storage
from qa.answer.highlight import span
from qa.answer.question import Question
from qa.answer.retrieval import Candidate


@dataclass(frozen=True)
class Passage:
    text: str
    score: float
    document_id: str
    document_title: str
    sentence_index: int
    start: int
    end: int
    context: str
    highlight: tuple[int, int] | None = None  # the answering phrase within `text`, when one stands out
    confidence: float | None = None  # for the first passage: the probability that it answers the question


def to_passage(store: Storage, c: Candidate, asked: Question | None = None,
               confidence: float | None = None) -> Passage:
    """`asked` is given for the passage shown as the answer: only an answer gets a highlight."""
    first, last = c.window[0], c.window[-1]
    s = c.sentence
    return Passage(text=s.text, score=round(c.score, 4), document_id=s.document_id,
                   document_title=c.title, sentence_index=s.position, start=s.start, end=s.end,
                   context=store.text_slice(s.document_id, first.start, last.end),
                   highlight=span(asked, s.text) if asked is not None else None,
                   confidence=round(confidence, 4) if confidence is not None else None)


def missing_names(store: Storage, question: Question, document_id: str | None) -> list[str]:
    """Names in the question that the searched articles never mention: a question about
    someone or something absent cannot be answered from them."""
    return [name for name in question.names if not store.mentions(name, document_id)]


def names_known(missing: list[str], question: Question) -> bool:
    """Whether the searched articles know the question's names: one unknown name among several
    may be a spelling variant; most of them unknown is not."""
    return not missing or 2 * len(missing) < len(question.names)
