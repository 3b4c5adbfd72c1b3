"""Labelled examples for the decision and the reranker (`qa.learn.training` fits them): each
training question is asked of a store holding every training article, read as `QAService.ask`
reads it, and each of its first passages labelled right when it holds an answer text. Negatives
beyond the data's unanswerable questions are made here: answerable questions asked of the wrong
article, and near misses (the question's rarest asked-about word swapped for one the article
lacks). A share of the questions is typed as readers type (lower case, no apostrophes, a typo).
Everything is seeded: the same data give the same examples."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.answer import conversation
from qa.answer.answerability import CHOICES, NAMES
from qa.answer.pipeline import Judged
from qa.answer.question import stem
from qa.answer.reranking import Weights
from qa.answer.spelling import Vocabulary, english_by_frequency
from qa.answer.understanding import understand
from qa.ingest.ingestion import DocumentInput

if TYPE_CHECKING:
    from qa.service import QAService

SEED = 20261130
_WORD = re.compile(r"[A-Za-z]{5,}")


@dataclass(frozen=True)
class Example:
    """One of a question's first passages, as the model sees it."""

    features: np.ndarray
    right: bool
    article: str
    kind: str  # answerable, paraphrase, unanswerable, wrong-article, near-miss
    question: int  # which question: its passages are weighed against each other


def load_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def ingest(service: QAService, corpus: list[dict[str, object]]) -> None:
    for doc in corpus:
        service.put(DocumentInput(text=str(doc["text"]), id=str(doc["id"]), title=str(doc.get("title") or "")))


def as_reader(question: str, rng: random.Random) -> str:
    """The question as a reader might type it: lower case, apostrophes and question mark dropped,
    sometimes one typo in a longer word."""
    text = question.lower().replace("'", "").replace("’", "").rstrip("?").strip()
    words = [w for w in _WORD.findall(text)]
    if words and rng.random() < 0.5:
        word = rng.choice(words)
        i = rng.randrange(1, len(word) - 1)
        typo = word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]
        text = text.replace(word, typo, 1)
    return text


class Synonyms:
    """Common English words near a word by meaning (the sentence encoder's, one word at a time):
    questions that use another word than the article ("paying" for "pledged") are made from them,
    so the model learns that such a word is not a missing fact."""

    def __init__(self, service: QAService, size: int = 8_000, least: float = 0.6) -> None:
        self.words = [w for w in english_by_frequency()[:size] if w.isalpha() and len(w) >= 4]
        self.vectors = service.embedder.encode(self.words)
        self.service, self.least = service, least

    def near(self, word: str, avoid: Vocabulary) -> str | None:
        sims = self.vectors @ self.service.embedder.encode([word])[0]
        for i in np.argsort(-sims)[:20]:
            other = self.words[int(i)]
            if sims[i] < self.least:
                return None
            if not avoid.has(other) and stem(other) != stem(word) and word not in other and other not in word:
                return other
        return None


def paraphrase(service: QAService, synonyms: Synonyms, text: str, article: str, rng: random.Random) -> str | None:
    """`text` with one of its article words replaced by a near word the article lacks."""
    own = service.vocabularies.of(article)
    words = [w for w in _WORD.findall(text) if own.has(w) and w.lower() == w]
    rng.shuffle(words)
    for word in words[:3]:
        other = synonyms.near(word, own)
        if other is not None:
            return re.sub(rf"\b{re.escape(word)}\b", other, text, count=1)
    return None


def examples(service: QAService, corpus: list[dict[str, object]], questions: list[dict[str, object]],
             reader_share: float = 0.4, negative_share: float = 0.15, paraphrase_share: float = 0.25
             ) -> Iterator[Example]:
    rng = random.Random(SEED)
    articles = [str(d["id"]) for d in corpus]
    synonyms = Synonyms(service)
    asked = _Asker(service)
    for q in questions:
        text, article = str(q["question"]), str(q["document_id"])
        if rng.random() < reader_share:
            text = as_reader(text, rng)
        answers = [str(a["text"]) for a in _list(q.get("answers"))]
        if not q.get("answerable", True) or not answers:
            yield from asked(text, article, article, [], "unanswerable")
            continue
        yield from asked(text, None, article, answers, "answerable")
        if rng.random() < paraphrase_share:
            reworded = paraphrase(service, synonyms, text, article, rng)
            if reworded is not None:
                yield from asked(reworded, None, article, answers, "paraphrase")
        if rng.random() < negative_share:
            other = rng.choice([a for a in articles if a != article])
            yield from asked(text, other, article, [], "wrong-article")
        if rng.random() < negative_share:
            swapped = near_miss(service, text, article, articles, rng)
            if swapped is not None:
                yield from asked(swapped, article, article, [], "near-miss")


def _list(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def near_miss(service: QAService, text: str, article: str, articles: list[str], rng: random.Random) -> str | None:
    """`text` with its longest asked-about word replaced by a word the article lacks."""
    own = service.vocabularies.of(article)
    words = sorted((w for w in _WORD.findall(text) if own.has(w) and w.lower() == w), key=len, reverse=True)
    if not words:
        return None
    foreign = service.vocabularies.of(rng.choice([a for a in articles if a != article]))
    pool = sorted(w for w, form in foreign.forms.items() if len(w) >= 5 and form == w and not own.has(w))
    return text.replace(words[0], rng.choice(pool), 1) if pool else None


class _Asker:
    """Asks one question and labels each of its first passages right or wrong."""

    def __init__(self, service: QAService) -> None:
        self.service, self.count = service, 0

    def __call__(self, text: str, scope: str | None, article: str, answers: list[str], kind: str,
                 previous: conversation.Turn | None = None) -> list[Example]:
        self.count += 1
        judged = _judged(self.service, text, scope, previous)
        if judged.evidence is None:
            return [Example(np.zeros(len(NAMES)), False, article, kind, self.count)]
        # In the reranker's order, as the features are: the passages shown put the decision's choice
        # first, so labelling those would give one passage's features another's label.
        out = []
        for i, candidate in enumerate(judged.evidence.ranked[:CHOICES]):
            sentence = candidate.sentence
            right = sentence.document_id == article and _holds(sentence.text, answers)
            out.append(Example(judged.evidence.at(i).vector(), right, article, kind, self.count))
        return out


def _judged(service: QAService, text: str, scope: str | None, previous: conversation.Turn | None) -> Judged:
    """The question judged as `QAService.ask` reads it: understood (spelling, the turn before), then judged."""
    understood = understand(text, scope, [previous] if previous is not None else [], service.vocabularies.of)
    return service.answerer.judge(understood, CHOICES)


def _holds(text: str, answers: list[str]) -> bool:
    """Whether `text` holds one of the answer texts (case and runs of white space ignored)."""
    norm = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in norm for a in answers)


Turn = tuple[str, str, list[str], conversation.Turn | None]  # question, article, answers, the turn before


def reader_turns(service: QAService, questions: list[dict[str, Any]]) -> Iterator[Turn]:
    """Readers' questions (`news_readers` shape: `answers`, `sentence`, and `conversation` / `turn`),
    each with the turn before it in its conversation, whose answer is taken to be its answering
    sentence."""
    before: dict[str, conversation.Turn] = {}
    for q in sorted(questions, key=lambda q: (str(q.get("conversation") or ""), int(q.get("turn") or 0))):
        article, thread = str(q["document_id"]), str(q.get("conversation") or "")
        answers = [str(a["text"]) for a in _list(q.get("answers"))] if q.get("answerable") else []
        yield str(q["question"]), article, answers, before.get(thread) if int(q.get("turn") or 1) > 1 else None
        if thread:
            gold = str(q.get("sentence") or "") or None
            before[thread] = conversation.Turn(str(q["question"]), str(q["question"]), gold, article,
                                               _position(service, article, gold))


def reader_examples(service: QAService, questions: list[dict[str, Any]]) -> Iterator[Example]:
    """Readers' questions asked of their own article, as the widget asks them."""
    asked = _Asker(service)
    for text, article, answers, previous in reader_turns(service, questions):
        yield from asked(text, article, article, answers, "reader" if answers else "reader-unanswerable", previous)


@dataclass(frozen=True)
class RankerExample:
    """One answerable question's candidates as the reranker scores them, and which of them answer."""

    features: np.ndarray  # (candidates, len(RANKER_FEATURES))
    right: np.ndarray
    article: str


RANKER_FEATURES = tuple(Weights.__dataclass_fields__)
READER_KINDS = ("reader", "reader-unanswerable")


def ranked_examples(service: QAService, questions: list[dict[str, Any]]) -> Iterator[RankerExample]:
    for text, article, answers, previous in reader_turns(service, questions):
        if not answers:
            continue
        judged = _judged(service, text, article, previous)
        if judged.evidence is None:
            continue
        ranked = judged.evidence.ranked
        right = np.array([_holds(c.sentence.text, answers) for c in ranked])
        if right.any() and not right.all():
            yield RankerExample(np.array([[c.features[n] for n in RANKER_FEATURES] for c in ranked]), right, article)


def _position(service: QAService, article: str, sentence: str | None) -> int | None:
    if not sentence:
        return None
    return next((s.position for s in service.sentences_of(article) if sentence in s.text or s.text in sentence), None)
