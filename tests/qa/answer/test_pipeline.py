"""The answer path's stages: each entered once per question, in order, each taking what the one
before returned."""

from typing import Any

import pytest

from qa.answer.pipeline import Answerer
from qa.answer.understanding import understand
from qa.service import QAService


def _watched(answerer: Answerer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for stage in ("candidates", "rank", "decide", "present"):
        real = getattr(answerer, stage)

        def watched(*args: Any, _real: Any = real, _stage: str = stage) -> Any:
            calls.append(_stage)
            return _real(*args)

        monkeypatch.setattr(answerer, stage, watched)
    return calls


def test_each_stage_is_entered_once_in_order(service: QAService, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _watched(service.answerer, monkeypatch)
    first = service.ask("What did Brokenshire say?")
    service.ask("when did he say it", conversation_id=first.conversation_id)
    assert calls == ["candidates", "rank", "decide", "present"] * 2


def test_only_questions_without_a_turn_before_are_cached(service: QAService, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _watched(service.answerer, monkeypatch)
    answerer, words = service.answerer, service.vocabularies.of
    plain = understand("What did Brokenshire say?", None, [], words)
    assert answerer.answer(plain, 3).passages == answerer.answer(plain, 3).passages
    assert calls.count("candidates") == 1
    first = service.ask("What did Brokenshire say?")
    turns = service.conversations.get(first.conversation_id).turns
    follow_up = understand("when did he say it", None, turns, words)
    assert follow_up.previous is not None
    answerer.answer(follow_up, 3)
    answerer.answer(follow_up, 3)
    assert calls.count("candidates") == 3


def test_set_thresholds_replace_the_models(service: QAService) -> None:
    answerer = service.answerer
    assert (answerer.threshold, answerer.near) == (answerer.decision.threshold, answerer.decision.closest)
    understood = understand("What did Brokenshire say?", None, [], service.vocabularies.of)
    shown = []
    for threshold, near in ((0.4, 0.3), (0.6, 0.4), (0.6, 0.55)):  # the neutral decision says 0.5
        answerer.min_confidence, answerer.closest_confidence = threshold, near
        judged = answerer.judge(understood, 3)
        assert judged.confidence == 0.5
        shown.append(("answer" if judged.answer else "") + ("closest" if judged.closest else ""))
    assert shown == ["answer", "closest", ""]


def test_a_follow_up_may_be_answered_with_a_name_the_previous_answer_gave(service: QAService) -> None:
    from qa.ingest.ingestion import DocumentInput

    text = ("Tory foreign affairs spokesman Michael Ancram said lifting the embargo would be irresponsible. "
            "The government will decide in the spring.")
    service.put(DocumentInput(text=text, id="arms", title="Arms embargo"))
    service.answerer.min_confidence = 0.4  # the neutral decision says 0.5: everything is shown
    first = service.ask("what do the Tories think of lifting the embargo", "arms")
    assert first.answer is not None and "Ancram" in first.answer.text
    then = service.ask("who said that", "arms", conversation_id=first.conversation_id)
    assert then.answer is not None and then.answer.highlight is not None
    start, end = then.answer.highlight
    assert then.answer.text[start:end] == "Michael Ancram"
