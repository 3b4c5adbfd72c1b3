"""The closest passage over HTTP: `answer` null, `abstention` "uncertain", the passage in `closest`;
bots get it with a lead that says what it is, and the reason in a field."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedders.base import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEED_ID


@pytest.fixture
def unsure(settings: Settings) -> Iterator[TestClient]:
    # The neutral test model gives every passage 0.5: below the answer cut-off, above the closest one.
    s = settings.model_copy(update={"min_confidence": 0.7, "closest_confidence": 0.4})
    service = QAService.open(s, FakeEmbedder())
    with TestClient(create_app(s, service)) as c:
        yield c
    service.close()


def test_ask_returns_the_closest_passage_apart_from_the_answer(unsure: TestClient) -> None:
    r = unsure.post("/ask", json={"question": "what did Brokenshire say?", "document_id": SEED_ID})
    assert r.status_code == 200
    body = r.json()
    assert body["answer"] is None and body["abstention"] == "uncertain"
    assert body["closest"]["text"] == body["passages"][0]["text"] and body["closest"]["highlight"] is None
    assert body["closest"]["document_url"] is None or body["closest"]["document_url"].startswith("http")


def test_chat_completion_says_it_is_the_closest_passage(unsure: TestClient) -> None:
    r = unsure.post("/v1/chat/completions", json={"model": SEED_ID, "messages": [
        {"role": "user", "content": "what did Brokenshire say?"}]}).json()
    content = r["choices"][0]["message"]["content"]
    assert content.startswith("The articles may not say exactly; this is the closest passage")
    assert r["answer"] is None and r["abstention"] == "uncertain" and r["closest"]["text"] in content


def test_metrics_count_closest_passages_apart(unsure: TestClient) -> None:
    unsure.post("/ask", json={"question": "what did Brokenshire say?", "document_id": SEED_ID})
    assert 'qa_answers_total{outcome="closest"} 1.0' in unsure.get("/metrics").text
