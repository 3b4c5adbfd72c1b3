"""Issue 26, item 3 (remaining part): a request that timed out stops using CPU. Its question's
stages check, between them, whether the API gave up (qa/abandon.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa import abandon
from qa.service import QAService
from qa.settings import Settings


def test_a_timed_out_question_stops_at_the_next_stage(settings: Settings, service: QAService,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    encode = service.embedder.encode
    ranked: list[float] = []

    def slow_encode(texts: list[str]) -> np.ndarray:
        time.sleep(1.0)  # a stage that outlives the deadline
        return encode(texts)

    def counting_rank(*args: Any, **kwargs: Any) -> Any:
        ranked.append(time.monotonic())
        return real_rank(*args, **kwargs)

    real_rank = service.answerer.rank
    monkeypatch.setattr(service.embedder, "encode", slow_encode)
    monkeypatch.setattr(service.answerer, "rank", counting_rank)
    tuned = settings.model_copy(update={"request_timeout_seconds": 0.3})
    with TestClient(create_app(tuned, service)) as c:
        r = c.post("/ask", json={"question": "Where does the ferry sail from?"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "timeout"
        time.sleep(1.5)  # the encoder stage ends meanwhile
    assert ranked == []  # before: ranked and decided after the client had its 503


def test_work_nobody_gave_up_on_runs_through(service: QAService) -> None:
    token = abandon.watch(threading.Event())
    try:
        assert service.ask("Where does the ferry sail from?").passages
    finally:
        abandon.unwatch(token)


def test_a_checkpoint_raises_once_given_up() -> None:
    event = threading.Event()
    token = abandon.watch(event)
    try:
        abandon.checkpoint()
        event.set()
        with pytest.raises(abandon.Abandoned):
            abandon.checkpoint()
    finally:
        abandon.unwatch(token)
    abandon.checkpoint()  # outside the watched context: nothing to stop
