"""BM25 in memory ranks as FTS5's bm25() does, and forgets nothing written since."""

from pathlib import Path

import numpy as np
import pytest

from index.lexical import query_terms, sentences_with
from index.sqlite.postings import Tokenizer, varint
from index.sqlite.store import SqliteStore
from index.types import NewDocument
from tests.index.contract import make_doc

SENTENCES = [
    "The mayor said the harbour would reopen in spring.",
    "Running the harbour costs the city two million a year.",
    "Fishermen say the harbour runs well, and the mayor runs the city.",
    "Rain.",
    "The new ferry runs twice a day between the harbour and the island, the council said on Tuesday.",
    "Nobody mentioned the mayor.",
]
QUESTIONS = ["who runs the harbour", "What did the mayor say about running costs?", "ferry island council",
             "rain", "harbour harbour HARBOUR", "nothing here matches"]


def _doc(doc_id: str, texts: list[str]) -> tuple[NewDocument, np.ndarray]:
    return make_doc(doc_id, texts, vectors=np.zeros((len(texts), 4), dtype=np.float32))


def _fts5(store: SqliteStore, text: str, document_id: str | None = None) -> list[tuple[float, int]]:
    """What FTS5's own bm25() says, as (-score, id) sorted: ties may come in either order."""
    match = " OR ".join(f'"{t}"' for t in query_terms(text))
    if not match:
        return []
    rows = store.connection.execute(
        "SELECT p.rowid, -bm25(postings) FROM postings p JOIN sentences s ON s.id = p.rowid "
        "WHERE postings MATCH ? AND (? IS NULL OR s.document_id = ?)", (match, document_id, document_id))
    return sorted((-round(score, 9), rowid) for rowid, score in rows)


def _ours(store: SqliteStore, text: str, document_id: str | None = None) -> list[tuple[float, int]]:
    return sorted((-round(score, 9), sid) for sid, score in store.lexical_search(text, 100, document_id))


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "db.sqlite3")
    s.put_document(*_doc("a", SENTENCES[:3]))
    s.put_document(*_doc("b", SENTENCES[3:]))
    return s


@pytest.mark.parametrize("text", QUESTIONS)
def test_ranks_and_scores_as_fts5_bm25(store: SqliteStore, text: str) -> None:
    assert _ours(store, text) == _fts5(store, text)
    assert _ours(store, text, "b") == _fts5(store, text, "b")


def test_best_first_and_cut_at_k(store: SqliteStore) -> None:
    ranking = store.lexical_search("who runs the harbour", 2)
    assert len(ranking) == 2 and ranking[0][1] >= ranking[1][1]
    assert [sid for sid, _ in ranking] == [sid for _, sid in _fts5(store, "who runs the harbour")[:2]]


def test_writes_are_seen_by_the_next_search(store: SqliteStore) -> None:
    before = _ours(store, "ferry")  # read once, remembered
    store.put_document(*_doc("c", ["A second ferry sank."]))
    after = _ours(store, "ferry")
    assert len(after) == len(before) + 1 and after == _fts5(store, "ferry")  # statistics moved too
    store.delete_document("b")
    assert _ours(store, "ferry") == _fts5(store, "ferry") and len(_ours(store, "ferry")) == 1


def test_tokens_are_the_index_tokens() -> None:
    tokens = Tokenizer(max_words=2)
    assert tokens.of(["running", "naïve", "harbours"]) == ["run", "naiv", "harbour"]
    assert tokens.of(["running", "harbours"]) == ["run", "harbour"]  # after forgetting past its bound


def test_varint_reads_sqlite_varints() -> None:
    assert varint(bytes([0x05])) == (5, 1)
    assert varint(bytes([0x81, 0x00])) == (128, 2)
    assert varint(bytes([0x00, 0xFF, 0x7F]), 1) == (16383, 3)
    assert varint(bytes([0xFF] * 8 + [0x01])) == ((1 << 64) - 255, 9)


def test_document_frequencies_count_as_fts5_matches(store: SqliteStore) -> None:
    words = ["harbour", "Running", "mayor's", "absent"]
    counts, total = store.document_frequencies(words)
    assert counts == {w: sentences_with(store.connection, w) for w in words}
    assert counts == {"harbour": 4, "Running": 3, "mayor's": 0, "absent": 0} and total == len(SENTENCES)
