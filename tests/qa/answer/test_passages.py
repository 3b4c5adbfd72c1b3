"""The answer-or-abstain rules that do not need the learned model: names the articles never
mention, and when enough of them are unknown to abstain."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qa.answer.passages import missing_names, names_known
from qa.answer.question import parse


class Mentions:
    """A store that knows which names each document mentions, and records the lookups."""

    def __init__(self, known: dict[str, set[str]]) -> None:
        self.known = known
        self.asked: list[tuple[str, str | None]] = []

    def mentions(self, phrase: str, document_id: str | None = None) -> bool:
        self.asked.append((phrase, document_id))
        docs = [document_id] if document_id is not None else list(self.known)
        return any(phrase in self.known.get(d, set()) for d in docs)


def test_a_name_no_searched_article_mentions_is_missing() -> None:
    store = Mentions({"a": {"Calais", "Brokenshire"}, "b": {"Dover"}})
    q = parse("Did Brokenshire visit Dover?")
    assert missing_names(store, q, None) == []  # type: ignore[arg-type]
    assert missing_names(store, q, "a") == ["Dover"]  # type: ignore[arg-type]
    assert missing_names(store, q, "b") == ["Brokenshire"]  # type: ignore[arg-type]
    assert ("Dover", "a") in store.asked  # scoped to the searched article


def test_a_question_without_names_misses_none() -> None:
    store = Mentions({})
    assert missing_names(store, parse("when did it open?"), None) == [] and store.asked == []  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=6), st.data())
def test_most_names_unknown_means_the_articles_do_not_know_the_question(total: int, data: st.DataObject) -> None:
    names = [f"Name{chr(65 + i)}" for i in range(total)]
    missing = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    q = parse(f"Did {' and '.join(names)} meet?")
    assert len(q.names) == total
    known = names_known(missing, q)
    assert known == (not missing or len(missing) < total / 2)
    if missing:  # one more unknown name never turns "unknown" into "known"
        assert not known or names_known(missing[:-1], q)


def test_one_unknown_name_among_several_may_be_a_spelling_variant() -> None:
    q = parse("Did Brokenshire and Cazeneuve meet in Calais?")
    assert len(q.names) == 3
    assert names_known(["Cazenuve"], q) and not names_known(["Cazenuve", "Calais"], q)
    assert not names_known(["Brokenshire"], parse("What did Brokenshire say?"))
