"""The middle answer: a likely but uncertain first passage is shown as the closest passage, never
as the answer, and a follow-up refers back to it."""

from collections.abc import Iterator
from dataclasses import replace

import pytest

from index.embedders.base import FakeEmbedder
from qa.answer.answerability import Model
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings

TEXT = ("The Mill Road bridge will close on 3 March for repairs. Engineers expect the work to take nine months. "
        "Pedestrians can still cross on a temporary walkway. The council will pay for the repairs.")


def judge(threshold: float, closest: float) -> Model:
    # The neutral model gives every passage 0.5: where that falls against the two cut-offs decides.
    return replace(Model.neutral(), threshold=threshold, closest=closest)


@pytest.fixture
def make(settings: Settings) -> Iterator[object]:
    opened: list[QAService] = []

    def _make(threshold: float, closest: float, **extra: object) -> QAService:
        s = settings.model_copy(update={"answer_cache_size": 0, **extra})
        svc = QAService.open(s, FakeEmbedder(), decision=judge(threshold, closest))
        svc.put(DocumentInput(text=TEXT, id="bridge", title="Bridge closes"))
        opened.append(svc)
        return svc

    yield _make
    for svc in opened:
        svc.close()


def test_between_the_cut_offs_the_first_passage_is_the_closest_not_the_answer(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0.7, 0.4).ask("how long will the bridge work take", "bridge")
    assert result.answer is None and result.abstention == "uncertain"
    assert result.closest is not None and result.closest == result.passages[0]
    assert result.closest.highlight is None  # a guess is not dressed as an answer


def test_above_the_threshold_it_is_the_answer_and_below_both_nothing(make) -> None:  # type: ignore[no-untyped-def]
    sure = make(0.4, 0.3).ask("how long will the bridge work take", "bridge")
    assert sure.answer is not None and sure.closest is None and sure.abstention is None
    unsure = make(0.8, 0.7).ask("how long will the bridge work take", "bridge")
    assert unsure.answer is None and unsure.closest is None and unsure.abstention == "not_in_article"


def test_the_settings_override_the_model_and_one_turns_it_off(make) -> None:  # type: ignore[no-untyped-def]
    off = make(0.7, 0.4, closest_confidence=1.0).ask("how long will the bridge work take", "bridge")
    assert off.closest is None and off.abstention == "not_in_article"
    on = make(0.7, 0.9, closest_confidence=0.3).ask("how long will the bridge work take", "bridge")
    assert on.closest is not None


def test_names_the_article_never_mentions_get_no_closest_passage(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0.7, 0.1).ask("what did Gordon Brown say about the bridge", "bridge")
    assert result.answer is None and result.closest is None


def test_a_follow_up_refers_back_to_the_closest_passage(make) -> None:  # type: ignore[no-untyped-def]
    svc = make(0.7, 0.4)
    first = svc.ask("who is paying for the repairs", "bridge")
    assert first.closest is not None
    turns = svc.conversations.get(first.conversation_id).turns
    assert turns[-1].answer_text == first.closest.text and turns[-1].sentence_index == first.closest.sentence_index
