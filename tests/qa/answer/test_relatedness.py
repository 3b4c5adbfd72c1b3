from index.embedders.base import FakeEmbedder
from qa.answer.relatedness import Relatedness


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: list[str], batch_size: int = 64):  # type: ignore[no-untyped-def]
        self.seen.extend(texts)
        return super().encode(texts, batch_size)


def test_a_word_used_by_the_passage_matches_it_fully() -> None:
    related = Relatedness(FakeEmbedder())
    assert related.best(["police", "ferry"], ["police", "calais"])[0] > 0.99
    assert related.best(["ferry"], ["police", "calais"])[0] < 0.99
    assert related.best([], ["police"]) == [] and related.best(["police"], []) == [0.0]


def test_words_are_embedded_once_and_the_memory_is_bounded() -> None:
    counting = Counting()
    related = Relatedness(counting, max_words=3)
    related.best(["a1"], ["b1", "c1"])
    related.best(["a1"], ["b1", "c1"])
    assert sorted(counting.seen) == ["a1", "b1", "c1"]
    related.best(["d1"], ["e1"])
    assert len(related._vectors) == 3


def test_words_learned_ahead_are_not_embedded_again() -> None:
    counting = Counting()
    related = Relatedness(counting)
    related.learn(["harbour", "ferry", "harbour"])
    assert sorted(counting.seen) == ["ferry", "harbour"]
    related.best(["ferry"], ["harbour"])
    assert sorted(counting.seen) == ["ferry", "harbour"]
