"""Lexical ranking on SQLite (FTS5 postings) and on PostgreSQL (the same FTS5 tokens in a text array)
is the same to the last bit: the same sentences, in the same order, with equal scores; the same
document frequencies and the same phrase matches. The answer decision, fitted on SQLite's scores,
sees the same features on either backend (issue #23)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.postgres.store import PostgresStore
from index.protocols import Storage
from index.sqlite.store import SqliteStore
from tests.index.contract import CORPUS, DIM, QUERIES, make_doc

# What the English configuration of PostgreSQL did otherwise: repeated words, stop words counted in
# a sentence's length, Porter against Snowball stems, possessives, diacritics, digits.
EDGES = {"edges": ["Ferry ferry ferry sails today.", "Ferry sails today.", "The ferry was late.", "Ferry late.",
                   "Generously, the generals generated a general's generosity.", "Naïve café owners met in 2015.",
                   "The Brokenshire's office said Brokenshire's aides were in Calais-Nord."]}
EDGE_QUERIES = ["ferry", "ferry late", "general generosity", "naive cafe 2015", "Brokenshire's aides",
                "what was late", "calais nord office"]
WORDS = ["ferry", "late", "the", "general's", "generals", "naïve", "cafe", "2015", "Brokenshire's", "calais-nord",
         "harbour", "mayor", "bridge", "reopened", "council", "absent"]
PHRASES = ["the ferry", "ferry was late", "Brokenshire's aides", "Calais Nord", "late ferry", "general's generosity",
           "the Times", "in spring", "mayor runs", "Naive cafe"]


def _filled(store: Storage, corpus: dict[str, list[str]]) -> Storage:
    for doc_id, sentences in corpus.items():
        store.put_document(*make_doc(doc_id, sentences))
    return store


@pytest.fixture
def pair(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Storage, Storage]]:
    sqlite, postgres = SqliteStore(tmp_path / "db.sqlite3"), PostgresStore(postgres_url, DIM)
    yield tuple(_filled(s, CORPUS | EDGES) for s in (sqlite, postgres))  # type: ignore[misc]
    sqlite.close()
    postgres.close()


def _ranked(store: Storage, query: str, document_id: str | None = None) -> list[tuple[str, float]]:
    hits = store.lexical_search(query, 20, document_id)
    texts = store.sentences([i for i, _ in hits])
    return [(texts[i].text, score) for i, score in hits]


@pytest.mark.parametrize("query", QUERIES + EDGE_QUERIES)
def test_the_same_sentences_in_the_same_order_with_equal_scores(pair: tuple[Storage, Storage], query: str) -> None:
    sqlite, postgres = pair
    assert _ranked(sqlite, query), query  # every query of the fixed set matches something
    assert _ranked(sqlite, query) == _ranked(postgres, query)
    assert _ranked(sqlite, query, "edges") == _ranked(postgres, query, "edges")


def test_document_frequencies_agree(pair: tuple[Storage, Storage]) -> None:
    sqlite, postgres = pair
    assert sqlite.document_frequencies(WORDS) == postgres.document_frequencies(WORDS)


def test_phrases_match_alike(pair: tuple[Storage, Storage]) -> None:
    sqlite, postgres = pair
    for document_id in (None, "edges", "harbour"):
        on_sqlite = [sqlite.mentions(p, document_id) for p in PHRASES]
        assert on_sqlite == [postgres.mentions(p, document_id) for p in PHRASES], document_id
    assert not postgres.mentions("the Times")  # stop words count, as in FTS5 (PostgreSQL's English skipped them)


def test_a_repeated_word_counts_and_stop_words_make_a_sentence_longer(pair: tuple[Storage, Storage]) -> None:
    _, postgres = pair
    ranked = [text for text, _ in _ranked(postgres, "ferry", "edges")]
    assert ranked[0] == "Ferry ferry ferry sails today."
    assert ranked.index("Ferry late.") < ranked.index("The ferry was late.")
