"""Insights in the service (fake embedder): what a question records, feedback joined to it, the
report per article, retention at start-up, and a recorder that never keeps an answer waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from index.embedders.base import FakeEmbedder
from index.insights import Insight, StoredInsight, Verdict
from qa.insights.recording import BATCH, MAX_PENDING, Recorder
from qa.insights.report import DAY
from qa.service import Feedback, QAService
from qa.settings import Settings
from tests.conftest import SEED_ID


@pytest.fixture
def recording(settings: Settings) -> Iterator[QAService]:
    svc = QAService.open(settings.model_copy(update={"insights": True}), FakeEmbedder())
    yield svc
    svc.close()


def test_off_by_default_nothing_is_recorded(service: QAService) -> None:
    assert service.settings.insights is False
    assert service.ask("what did Brokenshire say?", SEED_ID).answer_id is None
    report = service.insights.report()
    assert report.recording is False and report.articles == []


def test_a_question_is_recorded_as_understood_with_its_article_and_outcome(recording: QAService) -> None:
    result = recording.ask("what did Brokenshre say?", SEED_ID, client="ip:203.0.113.9")  # misspelt
    assert result.answer_id and result.question == "what did Brokenshire say?"
    recording.insights.report()  # flushes the queue first
    [row] = recording.backend.insight_store().read_insights(0)
    assert (row.answer_id, row.question, row.document_id, row.outcome) == (
        result.answer_id, "what did Brokenshire say?", SEED_ID, "answered")
    assert row.answer == result.answer.text and row.confidence is not None  # type: ignore[union-attr]
    assert "203.0.113.9" not in repr(row) and result.conversation_id not in repr(row)


def test_feedback_with_the_answer_id_marks_the_row(recording: QAService) -> None:
    first = recording.ask("what did Brokenshire say?", SEED_ID)
    recording.ask("how tall is the harbour wall?", SEED_ID)
    recording.record_feedback(Feedback(helpful=False, conversation_id=first.conversation_id), first.answer_id)
    [article] = recording.insights.report().articles
    assert article.feedback == {"helpful": 0, "unhelpful": 1}
    assert [u.question for u in article.unhelpful] == ["what did Brokenshire say?"]
    # The feedback table keeps what it always kept, and no answer id: the two cannot be joined there.
    assert "answer_id" not in recording.recent_feedback()[0]


def test_the_report_counts_outcomes_and_groups_what_was_not_answered(settings: Settings) -> None:
    # Nothing answered, nothing shown as closest: every question is abstained on.
    strict = settings.model_copy(update={"insights": True, "min_confidence": 1.0, "closest_confidence": 1.0})
    svc = QAService.open(strict, FakeEmbedder())
    for question in ["How old is the mayor?", "how old is the mayor", "How old is the mayor?", "Who won?"]:
        svc.ask(question, SEED_ID)
    [article] = svc.insights.report(SEED_ID, 1).articles
    svc.close()
    assert article.outcomes == {"answered": 0, "closest": 0, "abstained": 4} and article.rates["abstained"] == 1.0
    assert [(g.question, g.count) for g in article.unanswered][0] == ("How old is the mayor?", 3)
    assert sum(g.count for g in article.unanswered) == 4
    assert article.title and list(article.days.values()) == [{"answered": 0, "closest": 0, "abstained": 4}]


def test_a_filter_by_article_and_time(recording: QAService) -> None:
    recording.ask("what did Brokenshire say?", SEED_ID)
    recording.insights.clock = lambda: time.time() + 3 * DAY  # three days later
    assert recording.insights.report(since_days=2).articles == []
    assert len(recording.insights.report(since_days=4).articles) == 1
    assert recording.insights.report("another-article", 4).articles == []


def test_rows_past_their_retention_go_at_start_up_even_when_not_recording(settings: Settings) -> None:
    svc = QAService.open(settings, FakeEmbedder())
    old = time.time() - (settings.insights_retention_days + 1) * DAY
    svc.backend.insight_store().write_insights(
        [Insight("old", old, SEED_ID, "q?", "abstained"), Insight("new", time.time(), SEED_ID, "q?", "abstained")],
        [], keep=10, expired_before=0)
    svc.close()
    svc = QAService.open(settings, FakeEmbedder())
    try:
        assert [r.answer_id for r in svc.backend.insight_store().read_insights(0)] == ["new"]
    finally:
        svc.close()


def test_the_row_cap_holds(settings: Settings) -> None:
    svc = QAService.open(settings.model_copy(update={"insights": True, "insights_max_rows": 3}), FakeEmbedder())
    try:
        for n in range(5):
            svc.ask(f"question number {n}?", SEED_ID)
        assert sum(svc.insights.report().outcomes.values()) == 3
    finally:
        svc.close()


class Stuck:
    """A storage that takes its time (a server far away): the writer waits, never the asker."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.written: list[Insight] = []

    def write_insights(self, rows: list[Insight], verdicts: list[Verdict], keep: int, expired_before: float) -> None:
        self.release.wait(10)
        self.written += rows

    def read_insights(self, since: float, document_id: str | None = None) -> list[StoredInsight]:
        return []

    def close(self) -> None: ...


def test_the_recorder_never_waits_and_drops_rather_than_block() -> None:
    store = Stuck()
    recorder = Recorder(store, keep=10, retention_seconds=DAY)
    started = time.perf_counter()
    puts = MAX_PENDING + BATCH + 50  # more than the queue and the batch being written hold
    for n in range(puts):
        recorder.put(Insight(str(n), 0.0, None, "q?", "abstained"))
    assert time.perf_counter() - started < 5  # a put is a queue append, whatever the storage does
    assert 50 <= recorder.dropped <= BATCH + 50
    store.release.set()
    recorder.close()
    assert len(store.written) == puts - recorder.dropped


class Failing(Stuck):
    def write_insights(self, rows: list[Insight], verdicts: list[Verdict], keep: int, expired_before: float) -> None:
        raise OSError("disk on fire")


def test_a_failing_storage_costs_rows_not_the_recorder() -> None:
    recorder = Recorder(Failing(), keep=10, retention_seconds=DAY)
    recorder.put(Insight("a", 0.0, None, "q?", "abstained"))
    recorder.flush(2)
    recorder.put(Insight("b", 0.0, None, "q?", "abstained"))
    recorder.flush(2)  # the thread is alive: the second flush is answered too
    recorder.close()
