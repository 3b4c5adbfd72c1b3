"""The first stage on its own: reciprocal rank fusion of the dense and lexical rankings, and the
true cosine filled in for sentences only the lexical ranker found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.sqlite.store import SqliteStore
from qa.answer.retrieval import RRF_K, _fill_missing_dense, gather
from tests.index.contract import make_doc

QUERY = np.zeros(4, dtype=np.float32)


class Vectors:
    """A vector index that answers from a fixed table of cosines and records what it was asked."""

    def __init__(self, cosines: dict[int, float], depth: int | None = None) -> None:
        self.cosines, self.depth = cosines, depth
        self.calls: list[tuple[int, list[int] | None]] = []

    def __len__(self) -> int:
        return len(self.cosines)

    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        self.calls.append((k, None if only is None else sorted(only)))
        pool = [(i, s) for i, s in self.cosines.items() if only is None or i in only]
        ranked = sorted(pool, key=lambda p: -p[1])
        return ranked[: min(k, self.depth or k)] if only is None else ranked[:k]

    def add(self, ids: object, vectors: np.ndarray) -> None: ...
    def remove(self, ids: list[int]) -> None: ...
    def save(self, directory: object, model: str, generation: int) -> None: ...


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "db.sqlite3")
    s.put_document(*make_doc("a", ["The harbour reopened.", "Ferries sail daily.", "The mayor spoke.",
                                   "Rain fell on the harbour."], title="Harbour news"))
    s.put_document(*make_doc("b", ["The bridge closed."]))
    yield s
    s.close()


def _rrf(*ranks: int) -> float:
    return sum(1.0 / (RRF_K + r + 1) for r in ranks)


def test_fused_scores_are_reciprocal_ranks_summed_and_ordered(store: SqliteStore) -> None:
    ids = store.sentence_ids("a")
    vectors = Vectors({ids[0]: 0.9, ids[1]: 0.8, ids[2]: 0.1}, depth=2)  # the dense ranker sees two
    found = {c.sentence.id: c for c in gather(store, vectors, QUERY, "harbour", 10, None)}
    lexical = [i for i, _ in store.lexical_search("harbour", 10)]
    assert set(found) == {ids[0], ids[1]} | set(lexical)
    for sid, c in found.items():
        ranks = [r for r, i in enumerate([ids[0], ids[1]]) if i == sid] + \
                [r for r, i in enumerate(lexical) if i == sid]
        assert c.fused == pytest.approx(_rrf(*ranks))
    fused = [c.fused for c in gather(store, vectors, QUERY, "harbour", 10, None)]
    assert fused == sorted(fused, reverse=True)


@given(st.permutations(range(6)), st.permutations(range(6)))
def test_first_in_both_rankings_is_first_after_fusion(dense: list[int], lexical: list[int]) -> None:
    by_id: dict[int, float] = {}
    for ranking in (dense, lexical):
        for rank, sid in enumerate(ranking):
            by_id[sid] = by_id.get(sid, 0.0) + _rrf(rank)
    best = max(by_id, key=lambda sid: by_id[sid])
    if dense[0] == lexical[0]:
        assert best == dense[0]
    # Fusion never puts a sentence below one it beats in both rankings.
    for a in range(6):
        for b in range(6):
            if dense.index(a) < dense.index(b) and lexical.index(a) < lexical.index(b):
                assert by_id[a] > by_id[b]


def test_candidates_carry_titles_windows_and_the_sentence_before(store: SqliteStore) -> None:
    ids = store.sentence_ids("a")
    found = {c.sentence.id: c for c in gather(store, Vectors({ids[1]: 0.5}), QUERY, "ferries", 5, None)}
    ferry = found[ids[1]]
    assert ferry.title == "Harbour news" and ferry.previous == "The harbour reopened."
    assert [s.text for s in ferry.window] == ["The harbour reopened.", "Ferries sail daily.", "The mayor spoke."]


def test_a_lexical_only_hit_gets_its_true_cosine(store: SqliteStore) -> None:
    ids = store.sentence_ids("a")
    cosines = {ids[0]: 0.2, ids[1]: 0.9, ids[2]: 0.8, ids[3]: 0.35}
    vectors = Vectors(cosines, depth=1)  # dense finds only "Ferries sail daily."
    found = {c.sentence.id: c for c in gather(store, vectors, QUERY, "harbour", 10, None)}
    assert found[ids[0]].dense == pytest.approx(0.2) and found[ids[3]].dense == pytest.approx(0.35)
    assert found[ids[1]].lexical == 0.0  # a dense-only hit has no lexical score to fill
    # One extra search, limited to the lexical hits the dense ranker missed.
    assert vectors.calls[-1] == (2, sorted([ids[0], ids[3]]))


def test_nothing_is_filled_when_a_ranker_found_nothing(store: SqliteStore) -> None:
    ids = store.sentence_ids("a")
    vectors = Vectors({ids[0]: 0.2})
    found = gather(store, vectors, QUERY, "zeppelin", 10, None)  # no lexical hit
    assert [c.sentence.id for c in found] == [ids[0]] and len(vectors.calls) == 1
    empty = Vectors({})
    lexical_only = gather(store, empty, QUERY, "harbour", 10, None)
    assert lexical_only and all(c.dense == 0.0 for c in lexical_only) and len(empty.calls) == 1


def test_fill_missing_dense_leaves_known_scores_alone() -> None:
    by_id = {1: {"fused": 0.1, "dense": 0.7, "lexical": 2.0}, 2: {"fused": 0.1, "lexical": 1.0}}
    vectors = Vectors({1: 0.1, 2: 0.4, 3: 0.99})
    _fill_missing_dense(by_id, vectors, QUERY, [1, 2])
    assert by_id[1]["dense"] == 0.7 and by_id[2]["dense"] == pytest.approx(0.4) and 3 not in by_id
    calls = len(vectors.calls)
    _fill_missing_dense(by_id, vectors, QUERY, [1, 2])  # nothing missing: no search at all
    assert len(vectors.calls) == calls


def test_a_search_within_one_article_stays_in_it(store: SqliteStore) -> None:
    ids_a, ids_b = store.sentence_ids("a"), store.sentence_ids("b")
    vectors = Vectors({i: 0.5 for i in ids_a + ids_b})
    found = gather(store, vectors, QUERY, "bridge harbour", 10, "b")
    assert {c.sentence.document_id for c in found} == {"b"}
    assert vectors.calls[0] == (10, sorted(ids_b))
