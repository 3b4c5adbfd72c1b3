"""Grouping questions by meaning: properties that hold for any questions and any cut, with the
fake embedder's vectors, and the cases that say what a group is."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.embedders.base import FakeEmbedder
from qa.insights.grouping import QuestionVectors, cluster, key

WORDS = ["mayor", "age", "old", "bridge", "cost", "who", "paid", "when", "open", "how", "much", "price"]
questions = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join), min_size=1,
                     max_size=25)
cuts = st.floats(min_value=0.05, max_value=0.99)


def vectors(texts: list[str]) -> np.ndarray:
    return FakeEmbedder().encode(texts)


@settings(max_examples=60, deadline=None)
@given(questions, cuts)
def test_every_question_is_in_one_group_and_counted_once(texts: list[str], cut: float) -> None:
    groups = cluster(texts, vectors(texts), cut)
    keys = [key(texts[i]) for g in groups for i in g.members]
    assert sorted(keys) == sorted(set(map(key, texts)))  # each distinct question once
    assert sum(g.count for g in groups) == len(texts)  # repeats counted in full
    assert all(g.centre in g.members for g in groups)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)


@settings(max_examples=40, deadline=None)
@given(questions, cuts, cuts)
def test_a_higher_cut_never_makes_fewer_groups(texts: list[str], a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert len(cluster(texts, vectors(texts), high)) >= len(cluster(texts, vectors(texts), low))


def test_rewordings_of_one_question_are_one_group_and_others_stay_apart() -> None:
    texts = ["How old is the mayor?", "how old is the mayor", "how old is the mayor now", "Who paid for the bridge?"]
    groups = cluster(texts, vectors(texts), 0.5)
    assert [(texts[g.centre], g.count) for g in groups] == [("How old is the mayor?", 3),
                                                            ("Who paid for the bridge?", 1)]


def test_the_representative_is_the_question_nearest_the_centre() -> None:
    rows = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32)
    [group] = cluster(["a", "b", "c"], rows, 0.1)
    assert group.centre == 1 and group.count == 3


def test_nothing_to_group() -> None:
    assert cluster([], np.zeros((0, 4), dtype=np.float32)) == []
    assert [g.members for g in cluster(["one?"], vectors(["one?"]))] == [[0]]


def test_vectors_are_remembered_and_bounded() -> None:
    calls: list[list[str]] = []

    class Counting(FakeEmbedder):
        def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
            calls.append(list(texts))
            return super().encode(texts)

    memo = QuestionVectors(Counting(), max_items=3, batch=2)
    first = memo.of(["a b", "c d", "a b", "e f"])
    assert first.shape == (4, 256) and np.allclose(first[0], first[2])
    assert calls == [["a b", "c d"], ["e f"]]  # distinct texts, in small calls
    memo.of(["a b"])
    assert len(calls) == 2  # remembered
    memo.of(["g h", "i j"])  # past max_items: the least recently used go
    memo.of(["c d"])
    assert calls[-1] == ["c d"]
