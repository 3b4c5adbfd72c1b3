"""The second stage on its own: each reranking feature means what it says, and the final order is
the weighted sum of them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.types import StoredSentence
from qa.answer.question import parse
from qa.answer.reranking import Asked, Weights, features, has_person, kind_match, rerank, role_match
from qa.answer.retrieval import Candidate

FEATURES = ("dense", "lexical", "overlap", "context", "names", "kind", "carry", "speaker", "phrases")


def _candidate(text: str, position: int = 0, title: str = "", previous: str = "", dense: float = 0.0,
               lexical: float = 0.0, document_id: str = "d") -> Candidate:
    sentence = StoredSentence(id=position, document_id=document_id, position=position, start=0, end=len(text),
                              text=text)
    return Candidate(sentence=sentence, title=title, dense=dense, lexical=lexical, previous=previous)


def _features(question: str, text: str, **kwargs: object) -> dict[str, float]:
    c = _candidate(text, **kwargs)  # type: ignore[arg-type]
    return features(Asked.of(parse(question)), c, max(c.lexical, 1.0))


@pytest.mark.parametrize(("expects", "holds", "lacks"), [
    ("number", "Twelve boats sank.", "The boats sank in 1990."),  # a year alone is not a count
    ("date", "The boats sank in March.", "The boats sank."),
    ("money", "The repairs cost $5m.", "The repairs were slow."),
    ("person", "Bernard Cazeneuve spoke.", "The English Channel is wide."),
    ("place", "They met in Calais.", "They met."),
    ("origin", "They came from Sudan.", "They went to Sudan."),
    ("reason", "It closed because of the storm.", "It closed."),
    ("duration", "It has been shut for three years.", "It is shut."),
    ("quote", '"We will not," the minister said.', "The minister left."),
    ("role", "The mayor arrived.", "Someone arrived."),
])
def test_each_kind_is_found_where_it_is_and_not_where_it_is_not(expects: str, holds: str, lacks: str) -> None:
    assert kind_match(expects, holds) == 1.0
    assert kind_match(expects, lacks) == 0.0


def test_half_matches_are_half() -> None:
    assert kind_match("money", "Five boats sank.") == 0.5  # a number, but not money
    assert kind_match("quote", "The minister said no.") == 0.5  # attributed, not quoted
    assert kind_match("duration", "It opened in 2002.") == 0.5  # a year, not a span
    assert kind_match("other", "Anything at all.") == 0.0


def test_a_person_is_a_run_of_capitalised_words_not_a_sentence_start_or_a_place() -> None:
    assert has_person("Yesterday James Brokenshire spoke.")
    assert not has_person("In March it rained.") and not has_person("They crossed the English Channel.")


def test_a_role_next_to_the_name_answers_who_is() -> None:
    names = ("Cazeneuve",)
    assert role_match(names, "Interior minister Cazeneuve spoke.", "") == 1.0
    assert role_match(names, "Cazeneuve, the minister, spoke.", "") == 1.0
    assert role_match(names, "Cazeneuve spoke.", "The minister arrived.") == pytest.approx(0.7)
    assert role_match(names, "Nobody spoke.", "") == 0.0


@given(st.lists(st.sampled_from(["harbour", "ferry", "mayor", "storm", "bridge"]), unique=True))
def test_overlap_is_the_share_of_the_question_words_in_the_sentence(words: list[str]) -> None:
    question = "harbour ferry mayor storm bridge?"
    text = " ".join(["Something"] + words) + "."
    values = _features(question, text)
    assert values["overlap"] == pytest.approx(len(words) / 5)
    assert all(0.0 <= values[name] <= 1.0 for name in FEATURES if name != "dense")


def test_rare_words_weigh_more_in_the_overlap() -> None:
    asked = Asked.of(parse("harbour occupation?"), {"harbour": 0.1, "occupation": 3.0})
    rare = features(asked, _candidate("The occupation ended."), 1.0)["overlap"]
    common = features(asked, _candidate("The harbour ended."), 1.0)["overlap"]
    assert rare == pytest.approx(3.0 / 3.1) and common == pytest.approx(0.1 / 3.1)


def test_words_found_only_around_the_sentence_count_as_context_not_overlap() -> None:
    values = _features("When did the harbour reopen?", "It reopened in May.", title="Harbour")
    assert values["context"] > 0 and values["overlap"] < 1.0
    here = _features("When did the harbour reopen?", "The harbour reopened in May.", title="Harbour")
    assert here["context"] == 0.0 and here["overlap"] == 1.0


def test_names_in_the_sentence_count_fully_and_around_it_half() -> None:
    q = "What did Cazeneuve say?"
    assert _features(q, "Cazeneuve said no.")["names"] == 1.0
    assert _features(q, "He said no.", previous="Cazeneuve arrived.")["names"] == 0.5
    assert _features(q, "He said no.")["names"] == 0.0


def test_the_speaker_named_and_quoted_beats_the_speaker_named_before() -> None:
    q = "What did Cazeneuve say?"
    quoted = _features(q, '"No," Cazeneuve said.')["speaker"]
    before = _features(q, '"No."', previous="Cazeneuve stood up.")["speaker"]
    assert quoted == 1.0 and 0 < before < quoted


def test_shared_word_pairs_are_phrases() -> None:
    assert _features("Where is Sun Life Stadium?", "It is at Sun Life Stadium.")["phrases"] == 1.0
    assert _features("Where is Sun Life Stadium?", "Life in the sun.")["phrases"] == 0.0


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 10)), min_size=1, max_size=8))
def test_the_order_is_the_weighted_sum_best_first(scores: list[tuple[float, float]]) -> None:
    candidates = [_candidate(f"Sentence {i}.", i, dense=d, lexical=lx) for i, (d, lx) in enumerate(scores)]
    ranked = rerank(Asked.of(parse("anything?")), candidates)
    assert sorted(c.sentence.id for c in ranked) == list(range(len(scores)))  # a permutation
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    top = max(lx for _, lx in scores)
    w = Weights()
    for c in ranked:
        assert c.score == pytest.approx(w.dense * c.dense + w.lexical * (c.lexical / top if top > 0 else 0.0))


def test_only_the_dense_weight_orders_by_dense() -> None:
    only_dense = Weights(**{name: 0.0 for name in Weights().__dict__})
    only_dense = replace(only_dense, dense=1.0)
    candidates = [_candidate("The harbour.", 0, dense=0.2, lexical=9), _candidate("Other.", 1, dense=0.7)]
    assert [c.sentence.id for c in rerank(Asked.of(parse("harbour?")), candidates, only_dense)] == [1, 0]


def test_the_sentence_a_follow_up_refers_to_gets_a_head_start() -> None:
    candidates = [_candidate("Alpha.", i) for i in range(4)]
    ranked = rerank(Asked.of(parse("what is it for?")), candidates, focus=("d", 2))
    score = {c.sentence.id: c.score for c in ranked}
    w = Weights().recent
    assert ranked[0].sentence.id == 2
    assert score[2] - score[0] == pytest.approx(w) and score[1] - score[0] == pytest.approx(w / 2)
    other = rerank(Asked.of(parse("what is it for?")), [_candidate("Alpha.", 2, document_id="e")], focus=("d", 2))
    assert other[0].score == pytest.approx(score[0])  # the same position in another article: no head start
