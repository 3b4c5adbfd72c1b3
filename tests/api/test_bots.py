"""Bot-facing endpoints: OpenAI-compatible chat completions (driven by the official client),
batches and feedback."""

import json
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient
from openai import OpenAI

from tests.conftest import SEED_ID


@pytest.fixture
def openai_client(client: TestClient) -> OpenAI:
    # TestClient is an httpx.Client, so the official client talks to the app in process.
    return OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client)


def test_official_client_gets_answer_with_citation(openai_client: OpenAI) -> None:
    reply = openai_client.chat.completions.create(
        model=SEED_ID, messages=[{"role": "user", "content": "what did Brokenshire say?"}])
    content = reply.choices[0].message.content or ""
    assert "we will not be sending police to Calais" in content
    assert "Source: French minister suggests UK officials" in content
    assert reply.choices[0].finish_reason == "stop"
    extra = reply.model_extra or {}
    assert extra["passages"][0]["document_id"] == SEED_ID


def test_streaming_ends_with_done_and_rebuilds_the_reply(client: TestClient, openai_client: OpenAI) -> None:
    messages = [{"role": "user", "content": "what did Brokenshire say?"}]
    pieces = [c.choices[0].delta.content or "" for c in openai_client.chat.completions.create(  # type: ignore[union-attr]
        model="article-qa", messages=messages, stream=True)]  # type: ignore[arg-type]
    whole = openai_client.chat.completions.create(model="article-qa", messages=messages)  # type: ignore[arg-type]
    assert "".join(pieces) == whole.choices[0].message.content
    raw = client.post("/v1/chat/completions", json={"messages": messages, "stream": True})
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [line for line in raw.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_history_makes_follow_ups_work(client: TestClient) -> None:
    first = "What did the mayor of Calais say?"
    answer = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": first}]}).json()
    follow = client.post("/v1/chat/completions", json={"messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": first},
        {"role": "assistant", "content": answer["choices"][0]["message"]["content"]},
        {"role": "user", "content": "When did she appear before the committee?"}]}).json()
    assert "Last week" in follow["choices"][0]["message"]["content"]


def test_abstention_reply_and_bad_chat_requests(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={"model": SEED_ID, "messages": [
        {"role": "user", "content": "What is the population of Paris?"}]}).json()
    assert r["answer"] is None and "couldn't find" in r["choices"][0]["message"]["content"]
    bodies: list[dict[str, Any]] = [{"messages": []}, {"messages": [{"role": "assistant", "content": "hi"}]},
                                    {"messages": [{"role": "wizard", "content": "hi"}]}, {}]
    for body in bodies:
        resp = client.post("/v1/chat/completions", json=body)
        assert resp.status_code == 422 and "error" in resp.json()


def test_batch_answers_in_order_and_is_bounded(client: TestClient) -> None:
    questions = ["How much money has Britain pledged?", "what did Brokenshire say?"]
    r = client.post("/ask/batch", json={"questions": [{"question": q} for q in questions]})
    assert r.status_code == 200
    texts = [res["answer"]["text"] for res in r.json()["results"]]
    assert "£12 million" in texts[0] and "sending police" in texts[1]
    assert client.post("/ask/batch", json={"questions": [{"question": "x"}] * 33}).status_code == 422
    assert client.post("/ask/batch", json={"questions": []}).status_code == 422
    bad = client.post("/ask/batch", json={"questions": [{"question": "x", "document_id": "nope"}]})
    assert bad.status_code == 404


def test_feedback_is_stored_and_listed_for_admins(client: TestClient, admin: dict[str, str]) -> None:
    convo = client.post("/ask", json={"question": "what did Brokenshire say?"}).json()["conversation_id"]
    r = client.post("/feedback", json={"conversation_id": convo, "helpful": False, "comment": "wrong quote"})
    assert r.status_code == 201 and r.json()["id"] >= 1
    assert client.get("/feedback").status_code == 401
    listed = client.get("/feedback", headers=admin).json()
    assert listed[0]["comment"] == "wrong quote" and listed[0]["helpful"] is False
    assert client.post("/feedback", json={"helpful": True}).status_code == 201  # the rest is optional
    assert client.post("/feedback", json={"helpful": "maybe", "conversation_id": "c"}).status_code == 422


def test_models_lists_all_articles_and_each_document(openai_client: OpenAI) -> None:
    models = {m.id: m for m in openai_client.models.list()}
    assert "article-qa" in models and SEED_ID in models
    assert models[SEED_ID].owned_by == "article-qa" and models[SEED_ID].created > 0


def test_an_unknown_model_is_404_model_not_found_as_openai_says_it(client: TestClient, openai_client: OpenAI) -> None:
    question = [{"role": "user", "content": "what did Brokenshire say?"}]
    with pytest.raises(openai.NotFoundError) as raised:
        openai_client.chat.completions.create(model="gpt-4o", messages=question)  # type: ignore[arg-type]
    assert raised.value.code == "model_not_found" and raised.value.param == "model"
    error = client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": question}).json()["error"]
    assert error["type"] == "invalid_request_error" and "article-qa" in error["message"] and error["request_id"]
    # Every model /v1/models lists answers: `article-qa` (all articles, also the default) and each document id.
    for model in [m.id for m in openai_client.models.list()]:
        assert openai_client.chat.completions.create(model=model, messages=question).choices  # type: ignore[arg-type]
    assert client.post("/v1/chat/completions", json={"messages": question}).status_code == 200
