"""Lexical ranking on SQLite (FTS5 postings, Porter stemmer, BM25 over term counts) and on
PostgreSQL (tsvector, Snowball English stemmer, BM25 with each term counted once) agree on a fixed
corpus: the same sentences match, and the same one comes first. Where they differ by design, the
tests at the end pin the difference, so a change to either side is noticed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.postgres.store import PostgresStore
from index.protocols import Storage
from index.sqlite.store import SqliteStore
from tests.index.contract import CORPUS, DIM, QUERIES, make_doc


def _filled(store: Storage, corpus: dict[str, list[str]]) -> Storage:
    for doc_id, sentences in corpus.items():
        store.put_document(*make_doc(doc_id, sentences))
    return store


@pytest.fixture
def pair(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Storage, Storage]]:
    sqlite, postgres = SqliteStore(tmp_path / "db.sqlite3"), PostgresStore(postgres_url, DIM)
    yield sqlite, postgres
    sqlite.close()
    postgres.close()


def _ranked(store: Storage, query: str, k: int = 20) -> list[str]:
    hits = store.lexical_search(query, k)
    texts = store.sentences([i for i, _ in hits])
    return [texts[i].text for i, _ in hits]


def test_the_same_sentences_match_and_the_same_one_comes_first(pair: tuple[Storage, Storage]) -> None:
    sqlite, postgres = (_filled(s, CORPUS) for s in pair)
    for query in QUERIES:
        on_sqlite, on_postgres = _ranked(sqlite, query), _ranked(postgres, query)
        assert on_sqlite, query  # every query of the fixed set matches something
        assert set(on_sqlite) == set(on_postgres), query
        assert on_sqlite[0] == on_postgres[0], query


def test_document_frequencies_agree(pair: tuple[Storage, Storage]) -> None:
    sqlite, postgres = (_filled(s, CORPUS) for s in pair)
    words = ["harbour", "mayor", "bridge", "reopened", "council", "absent"]
    assert sqlite.document_frequencies(words) == postgres.document_frequencies(words)


def test_limit_a_repeated_word_counts_on_sqlite_only(pair: tuple[Storage, Storage]) -> None:
    # FTS5's BM25 counts how often a term occurs; the SQL counts each term once per sentence
    # (sentences rarely repeat a word, and counting in SQL costs a scan of the postings).
    corpus = {"d": ["Ferry ferry ferry sails today.", "Ferry sails today.", "Buses run today."]}
    sqlite, postgres = (_filled(s, corpus) for s in pair)
    assert _ranked(sqlite, "ferry")[0] == "Ferry ferry ferry sails today."
    (_, first), (_, second) = postgres.lexical_search("ferry", 2)
    assert first == pytest.approx(second)  # both hold three distinct lexemes: the same score


def test_limit_stop_words_count_towards_length_on_sqlite_only(pair: tuple[Storage, Storage]) -> None:
    # PostgreSQL's English configuration drops stop words from the tsvector, so a sentence's length
    # there is its distinct content words; FTS5 counts every token. Same words, more filler:
    corpus = {"d": ["The ferry was late.", "Ferry late.", "Buses run on time."]}
    sqlite, postgres = (_filled(s, corpus) for s in pair)
    on_sqlite = dict((t, s) for t, (_, s) in zip(_ranked(sqlite, "ferry late"), sqlite.lexical_search("ferry late", 5),
                                                  strict=True))
    on_postgres = [s for _, s in postgres.lexical_search("ferry late", 5)]
    assert on_sqlite["Ferry late."] > on_sqlite["The ferry was late."]
    assert len(on_postgres) == 2 and on_postgres[0] == pytest.approx(on_postgres[1])
