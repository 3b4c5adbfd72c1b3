"""What readers wanted to know: each question as the service understood it, its article, the
outcome and its confidence, and later the reader's thumbs up or down (`index.insights` keeps the
rows); read back per article as the outcomes' counts by day, the unanswered questions grouped by
meaning (`qa.insights.grouping`) and the answers readers marked unhelpful. Recorded only with
`QA_INSIGHTS` on; never who asked (docs/insights.md)."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from index.embedders.base import Embedder
from index.insights import OUTCOMES, Insight, StoredInsight, Verdict
from index.protocols import Backend
from qa.answer.passages import Passage
from qa.insights.grouping import QuestionVectors, cluster, key
from qa.insights.recording import Recorder

DAY = 86_400.0
GROUPED_LIMIT = 2000  # the newest unanswered questions of a report that are grouped: bounds its cost
GROUPS_SHOWN = 50  # per article, the largest first
UNHELPFUL_SHOWN = 20  # per article, the newest first


# The words editors read, on the page and in the terminal alike.
LABELS = {"answered": "answered", "closest": "closest passage", "abstained": "no answer"}
REASONS = {"uncertain": "closest passage shown", "not_in_article": "not in the article",
           "unresolved_follow_up": "follow-up not understood"}


def rates(outcomes: dict[str, int]) -> str:
    """"12 questions: answered 50%, closest passage 25%, no answer 25%"."""
    total = sum(outcomes.values())
    parts = [f"{LABELS[k]} {round(100 * n / total) if total else 0}%" for k, n in outcomes.items() if k in LABELS]
    return f"{total} question{'' if total == 1 else 's'}: " + ", ".join(parts)


def outcome_of(answer: Passage | None, closest: Passage | None) -> str:
    """What the reader was shown, as one of OUTCOMES (the insight rows', /metrics' and the benches')."""
    return "answered" if answer else "closest" if closest else "abstained"


@dataclass(frozen=True)
class Group:
    question: str  # the one nearest the group's centre: what the group asks
    count: int
    examples: list[str]  # other wordings, the most asked first
    reasons: dict[str, int]  # why they went unanswered: "uncertain" (closest passage shown), ...


@dataclass(frozen=True)
class Unhelpful:
    question: str
    answer: str | None  # the passage the reader was shown
    outcome: str
    confidence: float | None
    asked_at: float


@dataclass(frozen=True)
class Article:
    document_id: str | None  # None: questions asked of every article that none answered
    title: str | None  # None: the article is no longer stored
    outcomes: dict[str, int]  # every outcome of OUTCOMES, 0 included
    reasons: dict[str, int]
    feedback: dict[str, int]  # "helpful", "unhelpful"
    days: dict[str, dict[str, int]]  # UTC day (YYYY-MM-DD) -> outcome -> questions
    unanswered: list[Group]
    unhelpful: list[Unhelpful]

    @property
    def questions(self) -> int:
        return sum(self.outcomes.values())

    @property
    def rates(self) -> dict[str, float]:
        return {k: round(n / self.questions, 3) if self.questions else 0.0 for k, n in self.outcomes.items()}


@dataclass(frozen=True)
class Report:
    recording: bool
    since: float
    until: float
    retention_days: int
    articles: list[Article]
    unanswered: int  # questions not answered in the window
    grouped: int  # of them, the newest `GROUPED_LIMIT`, grouped by meaning

    @property
    def outcomes(self) -> dict[str, int]:
        total: Counter[str] = Counter({k: 0 for k in OUTCOMES})
        for article in self.articles:
            total.update(article.outcomes)
        return dict(total)


@dataclass
class Insights:
    """The service's recorder of questions and reader of reports."""

    backend: Backend
    embedder: Embedder
    enabled: bool  # recording; reports of what was recorded before are read either way
    max_rows: int
    retention_days: int
    clock: Callable[[], float] = time.time
    _recorder: Recorder | None = field(init=False, default=None)
    _vectors: QuestionVectors = field(init=False)

    def __post_init__(self) -> None:
        self._vectors = QuestionVectors(self.embedder)
        self._prune()  # rows past their retention go at every start, recording or not
        if self.enabled:
            self._recorder = Recorder(self.backend.insight_store(), self.max_rows,
                                      self._retention)

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    @property
    def _retention(self) -> float:
        return self.retention_days * DAY

    def record(self, question: str, document_id: str | None, answer: Passage | None, closest: Passage | None,
               reason: str | None, confidence: float | None) -> str | None:
        """Queue one row (no I/O here); the id to hand the reader with the answer, so that their
        feedback finds the row, or None when not recording."""
        if self._recorder is None:
            return None
        shown = answer or closest
        answer_id = secrets.token_urlsafe(12)
        self._recorder.put(Insight(
            answer_id, self.clock(), document_id or (shown.document_id if shown else None), question,
            outcome_of(answer, closest),
            reason, None if confidence is None else round(confidence, 4), shown.text if shown else None))
        return answer_id

    def verdict(self, answer_id: str, helpful: bool) -> None:
        """A reader's feedback on the answer `answer_id` names (ignored when it names none)."""
        if self._recorder is not None:
            self._recorder.put(Verdict(answer_id, helpful))

    def flush(self) -> None:
        """Write what is queued (the recorder writes once a second): a report reads every question
        asked before it."""
        if self._recorder is not None:
            self._recorder.flush()

    def report(self, document_id: str | None = None, since_days: float = 30) -> Report:
        """The questions of the last `since_days` days (of one article, or of all), per article."""
        self.flush()
        if self._recorder is None:
            self._prune()
        now = self.clock()
        rows = self.backend.insight_store().read_insights(now - since_days * DAY, document_id)
        unanswered = [r for r in rows if r.outcome != "answered"]
        grouped = unanswered[-GROUPED_LIMIT:]  # the newest: grouping costs an embedding per new question
        return Report(self.recording, now - since_days * DAY, now, self.retention_days,
                      self._articles(rows, grouped), len(unanswered), len(grouped))

    def _articles(self, rows: list[StoredInsight], grouped: list[StoredInsight]) -> list[Article]:
        """Per article, the one with the most questions left unanswered first."""
        vectors = self._vectors_of([r.question for r in grouped])
        chosen = {id(r) for r in grouped}
        by_article: dict[str | None, list[StoredInsight]] = {}
        for row in rows:
            by_article.setdefault(row.document_id, []).append(row)
        titles = self.backend.titles([d for d in by_article if d is not None])
        articles = [_article(d, titles.get(d) if d else None, found, [r for r in found if id(r) in chosen], vectors)
                    for d, found in by_article.items()]
        return sorted(articles, key=lambda a: (-(a.questions - a.outcomes["answered"]), -a.questions,
                                               a.document_id or ""))

    def _vectors_of(self, questions: list[str]) -> dict[str, np.ndarray]:
        distinct = list(dict.fromkeys(questions))
        return dict(zip(distinct, self._vectors.of(distinct), strict=True))

    def _prune(self) -> None:
        self.backend.insight_store().write_insights([], [], self.max_rows,
                                                    self.clock() - self._retention)

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()


def _article(document_id: str | None, title: str | None, rows: list[StoredInsight],
             grouped: list[StoredInsight], vectors: dict[str, np.ndarray]) -> Article:
    feedback = Counter("helpful" if r.helpful else "unhelpful" for r in rows if r.helpful is not None)
    unhelpful = [Unhelpful(r.question, r.answer, r.outcome, r.confidence, r.created_at)
                 for r in reversed(rows) if r.helpful is False][:UNHELPFUL_SHOWN]
    return Article(document_id, title, _counts(rows), dict(Counter(r.reason for r in rows if r.reason)),
                   {"helpful": feedback["helpful"], "unhelpful": feedback["unhelpful"]}, _days(rows),
                   _groups(grouped, vectors), unhelpful)


def _counts(rows: list[StoredInsight]) -> dict[str, int]:
    """Questions per outcome, every outcome named."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    return counts


def _days(rows: list[StoredInsight]) -> dict[str, dict[str, int]]:
    by_day: dict[str, list[StoredInsight]] = {}
    for row in rows:
        by_day.setdefault(datetime.fromtimestamp(row.created_at, UTC).strftime("%Y-%m-%d"), []).append(row)
    return {day: _counts(found) for day, found in by_day.items()}


def _groups(rows: list[StoredInsight], vectors: dict[str, np.ndarray]) -> list[Group]:
    if not rows:
        return []
    texts = [r.question for r in rows]
    groups = []
    for c in cluster(texts, np.stack([vectors[t] for t in texts]))[:GROUPS_SHOWN]:
        keys = {key(texts[i]) for i in c.members}
        reasons = Counter(r.reason or r.outcome for r in rows if key(r.question) in keys)
        examples = [texts[i] for i in c.members if i != c.centre]
        groups.append(Group(texts[c.centre], c.count, examples[:5], dict(reasons)))
    return groups
