"""Insight rows in both backends: written in batches, read back by time and article, verdicts
joined by answer id, retention and the row cap, nothing about the reader, kept across a reopen."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from index.insights import FIELDS, Insight, Verdict
from index.postgres.insights import PostgresInsights
from index.protocols import InsightStore
from index.sqlite.insights import FILE, SqliteInsights

Opener = Callable[[], InsightStore]
COLUMNS = {"id", *FIELDS, "helpful"}


def row(n: int, at: float = 1000.0, document_id: str | None = "a", outcome: str = "abstained") -> Insight:
    return Insight(f"id{n}", at + n, document_id, f"question {n}?", outcome, "not_in_article", 0.25, None)


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    opened: list[InsightStore] = []
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None

    def _open() -> InsightStore:
        opened.append(PostgresInsights(url) if url else SqliteInsights(tmp_path / FILE))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


def test_rows_come_back_as_written_oldest_first(open_store: Opener) -> None:
    store = open_store()
    store.write_insights([row(1), Insight("x", 1002.0, None, "who?", "closest", "uncertain", 0.5, "A passage.")],
                         [], keep=100, expired_before=0)
    found = store.read_insights(0)
    assert [(r.answer_id, r.document_id, r.question, r.outcome, r.reason, r.confidence, r.answer, r.helpful)
            for r in found] == [("id1", "a", "question 1?", "abstained", "not_in_article", 0.25, None, None),
                                ("x", None, "who?", "closest", "uncertain", 0.5, "A passage.", None)]


def test_reads_by_time_and_article(open_store: Opener) -> None:
    store = open_store()
    store.write_insights([row(1), row(2, document_id="b"), row(3)], [], keep=100, expired_before=0)
    assert [r.answer_id for r in store.read_insights(1002.0)] == ["id2", "id3"]
    assert [r.answer_id for r in store.read_insights(0, "a")] == ["id1", "id3"]
    assert store.read_insights(0, "nope") == []


def test_a_verdict_finds_its_row_in_the_same_batch_or_later(open_store: Opener) -> None:
    store = open_store()
    store.write_insights([row(1), row(2)], [Verdict("id1", False)], keep=100, expired_before=0)
    store.write_insights([], [Verdict("id2", True), Verdict("unknown", False)], keep=100, expired_before=0)
    assert [r.helpful for r in store.read_insights(0)] == [False, True]


def test_rows_past_retention_and_beyond_the_cap_are_dropped(open_store: Opener) -> None:
    store = open_store()
    store.write_insights([row(n) for n in range(10)], [], keep=100, expired_before=1003.0)
    assert [r.answer_id for r in store.read_insights(0)] == [f"id{n}" for n in range(3, 10)]
    store.write_insights([row(10), row(11)], [], keep=4, expired_before=0)
    assert [r.answer_id for r in store.read_insights(0)] == ["id8", "id9", "id10", "id11"]


def test_rows_are_bounded_in_size_and_survive_a_reopen(open_store: Opener) -> None:
    long = Insight("big", 1.0, "a", "q" * 10_000 + "\x00", "closest", "uncertain", None, "p" * 10_000)
    open_store().write_insights([long], [], keep=100, expired_before=0)
    found = open_store().read_insights(0)[0]
    assert len(found.question) <= 2000 and found.answer is not None and len(found.answer) <= 1000


def test_nothing_about_the_reader_is_a_column(open_store: Opener, request: pytest.FixtureRequest,
                                              tmp_path: Path) -> None:
    open_store()
    if request.node.callspec.params["open_store"] == "postgres":
        with psycopg.connect(request.getfixturevalue("postgres_url")) as conn:
            columns = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'qa_insights'")}
    else:
        with sqlite3.connect(tmp_path / FILE) as conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(insights)")}
    assert columns == COLUMNS  # no client address, key or conversation id can be stored with a question
