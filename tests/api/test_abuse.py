"""Attacks a hostile client tried (issue 14), replayed at the HTTP level: each must be refused
with a clear 4xx, or bounded, and never break the service for other readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedders.base import FakeEmbedder
from qa.answer import conversation
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEED_ID

ASK = {"question": "what did Brokenshire say?"}
NAMES = ", ".join(f"Name{i} Person{i}" for i in range(40))


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Any]:
    """A client on a service built with changed settings (the conversations follow the service's)."""
    opened: list[tuple[TestClient, QAService]] = []

    def make(**changes: object) -> TestClient:
        tuned = Settings(**{**settings.model_dump(), **changes})
        service = QAService.open(tuned, FakeEmbedder())
        client = TestClient(create_app(tuned, service))
        client.__enter__()
        opened.append((client, service))
        return client

    yield make
    for client, service in opened:
        client.__exit__(None, None, None)
        service.close()


def _chat(client: TestClient, messages: list[dict[str, str]], **headers: str) -> Any:
    return client.post("/v1/chat/completions", json={"messages": messages}, headers=headers)


# --- 1. memory from chat history ---------------------------------------------------------------
def test_every_chat_message_has_a_length_limit(client: TestClient) -> None:
    big = "x" * 500_000
    history = [{"role": "user", "content": big}] * 19 + [{"role": "user", "content": "what did Brokenshire say?"}]
    assert _chat(client, history).status_code == 413  # refused before it is read
    history = [{"role": "user", "content": "x" * 2001}, {"role": "user", "content": "what did Brokenshire say?"}]
    r = _chat(client, history)
    assert r.status_code == 422 and "messages.0" in r.json()["error"]["message"]
    long_reply = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "y" * 10_001},
                  {"role": "user", "content": "and then?"}]
    assert _chat(client, long_reply).status_code == 422


def test_a_long_history_is_kept_bounded_in_turns_and_characters(client: TestClient, service: QAService) -> None:
    messages: list[dict[str, str]] = []
    for i in range(60):
        messages += [{"role": "user", "content": f"Who is Person{i}? " + "q" * 1900},
                     {"role": "assistant", "content": "a" * 9000}]
    messages.append({"role": "user", "content": "what did Brokenshire say?"})
    r = _chat(client, messages)
    assert r.status_code == 200
    kept = service.conversations.get(r.json()["conversation_id"], "ip:testclient").turns
    assert len(kept) <= service.settings.conversation_turns
    assert all(len(t.question) <= 2000 and len(t.answer_text or "") <= 2000 for t in kept)


# --- 2. CPU from follow-ups --------------------------------------------------------------------
def test_a_follow_up_carries_a_bounded_handful_of_names() -> None:
    for names in (NAMES, NAMES.replace(",", "")):  # many names, or one endless one
        turn = conversation.Turn(names, names, names, None)
        carried = conversation.resolve("what did he say?", [turn]).removeprefix("what did he say?")
        assert 0 < len(carried) <= conversation.MAX_CARRIED * (conversation.MAX_CARRIED_CHARS + 1)


def test_a_follow_up_after_a_huge_history_is_refused_not_computed(client: TestClient) -> None:
    history = [{"role": "user", "content": NAMES * 2000}, {"role": "user", "content": "what did he say?"}]
    assert _chat(client, history).status_code == 413
    history = [{"role": "user", "content": (NAMES * 10)[:2001]}, {"role": "user", "content": "what did he say?"}]
    assert _chat(client, history).status_code == 422


# --- 3. identities: only a valid key ------------------------------------------------------------
def test_made_up_tokens_cannot_push_out_another_readers_conversation(make_client: Any) -> None:
    c = make_client(trusted_proxies="testclient", max_conversations=10, max_conversations_per_client=3)
    reader, attacker = {"X-Forwarded-For": "1.1.1.1"}, {"X-Forwarded-For": "2.2.2.2"}
    mine = c.post("/ask", json=ASK, headers=reader).json()["conversation_id"]
    for i in range(20):
        c.post("/ask", json=ASK, headers={**attacker, "Authorization": f"Bearer r{i}"})
    assert c.post("/ask", json={**ASK, "conversation_id": mine}, headers=reader).json()["conversation_id"] == mine


# --- 4. disk from /feedback ---------------------------------------------------------------------
def test_feedback_needs_only_helpful_and_it_must_be_a_boolean(client: TestClient) -> None:
    assert client.post("/feedback", json={"helpful": True}).status_code == 201
    for loose in ("yes", 1, "true", None):
        assert client.post("/feedback", json={"helpful": loose}).status_code == 422


def test_feedback_fields_are_capped_in_bytes(client: TestClient) -> None:
    assert client.post("/feedback", json={"helpful": True, "comment": "é" * 1000}).status_code == 201
    r = client.post("/feedback", json={"helpful": True, "comment": "é" * 1001})  # 2002 bytes
    assert r.status_code == 422 and "bytes" in r.json()["error"]["message"]
    assert client.post("/feedback", json={"helpful": True, "answer": "x" * 4001}).status_code == 422


def test_feedback_has_its_own_rate_limit(make_client: Any) -> None:
    c = make_client(feedback_rate_limit="3/minute")
    codes = [c.post("/feedback", json={"helpful": True}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert c.post("/ask", json=ASK).status_code == 200  # reading is another budget


def test_stored_feedback_is_capped_dropping_the_oldest(make_client: Any, admin: dict[str, str]) -> None:
    c = make_client(feedback_rate_limit=None, feedback_max_rows=3)
    for i in range(7):
        assert c.post("/feedback", json={"helpful": True, "comment": f"c{i}"}).status_code == 201
    listed = c.get("/feedback", headers=admin, params={"limit": 100}).json()
    assert [f["comment"] for f in listed] == ["c6", "c5", "c4"]


# --- 6. lone surrogates -------------------------------------------------------------------------
SURROGATE_BODIES = [
    ("/documents", '{"text": "Some text here.", "metadata": {"\\ud800": "\\udc00"}}'),
    ("/documents", '{"text": "Some text here.", "title": "a\\udfffb"}'),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "who \\ud83d said it?"}]}'),
    ("/ask", '{"question": "what did \\uDBFF say?"}'),
]


@pytest.mark.parametrize(("path", "body"), SURROGATE_BODIES)
def test_lone_surrogates_anywhere_are_refused(client: TestClient, admin: dict[str, str], path: str,
                                              body: str) -> None:
    r = client.post(path, content=body, headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert client.get("/documents").status_code == 200


def test_a_surrogate_pair_and_an_escaped_backslash_are_fine(client: TestClient, admin: dict[str, str]) -> None:
    body = '{"id": "emoji", "text": "A smile \\ud83d\\ude00 here.", "metadata": {"k": "\\\\ud800"}}'
    r = client.post("/documents", content=body, headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 201
    assert client.get("/documents/emoji").json()["metadata"] == {"k": "\\ud800"}


def test_a_stored_row_that_cannot_be_encoded_does_not_break_reads(client: TestClient, service: QAService,
                                                                  backend: str) -> None:
    if backend == "postgres":
        pytest.skip("PostgreSQL's jsonb never stored a lone surrogate")
    from qa.ingest.ingestion import DocumentInput

    # As stored by a version before the check: reads must survive it.
    service.put(DocumentInput(text="Stored before the check.", id="old", metadata={"\ud800": "\udc00"}))
    listing = client.get("/documents")
    assert listing.status_code == 200 and any(d["id"] == "old" for d in listing.json())
    assert client.get("/documents/old").status_code == 200


# --- 7. 500s that should be 4xx or 507 ----------------------------------------------------------
def test_deeply_nested_input_is_422_with_a_request_id(client: TestClient, admin: dict[str, str]) -> None:
    doc = {"id": "deep", "format": "json", "text": "[" * 100_000}
    r = client.post("/documents", json=doc, headers=admin)
    assert r.status_code == 422
    assert r.headers["x-request-id"] == r.json()["error"]["request_id"] != "-"
    assert client.get("/healthz").status_code == 200  # the same connection still serves


def test_an_unexpected_error_still_carries_a_request_id(client: TestClient, service: QAService,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(service, "documents", broken)
    r = client.get("/documents")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert r.headers["x-request-id"] == r.json()["error"]["request_id"] != "-"
    assert "boom" not in r.text


def test_a_full_disk_is_507_and_nothing_is_stored(client: TestClient, admin: dict[str, str], backend: str,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if backend == "postgres":
        pytest.skip("the database server's disk is its own; a DiskFull error maps to 507 the same way")
    import shutil

    real = shutil.disk_usage
    monkeypatch.setattr("index.sqlite.backend.shutil.disk_usage",
                        lambda p: real(p)._replace(free=1024 * 1024))
    r = client.post("/documents", json={"id": "big", "text": "Some article text. " * 200}, headers=admin)
    assert r.status_code == 507 and r.json()["error"]["code"] == "insufficient_storage"
    assert r.headers["x-request-id"]
    assert client.get("/documents/big").status_code == 404
    assert not list((tmp_path / "data").glob("*.tmp")) and not list((tmp_path / "data").glob(".*.tmp"))


def test_a_failed_file_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from index.errors import StorageFull
    from index.files import atomic_write

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageFull):
        atomic_write(tmp_path / "vectors.faiss", b"x" * 1000)
    assert list(tmp_path.iterdir()) == []


# --- 8. writes that lie -------------------------------------------------------------------------
def test_a_slow_write_is_not_cut_by_the_read_deadline(make_client: Any, admin: dict[str, str]) -> None:
    c = make_client(request_timeout_seconds=0.001)
    text = " ".join(f"Sentence number {i} says something about item {i}." for i in range(400))
    r = c.post("/documents", json={"id": "long", "text": text}, headers=admin)
    assert r.status_code == 201 and r.json()["sentences"] == 400


# --- 9. the widget needs a credential, not an Origin header --------------------------------------
def test_an_origin_header_is_no_credential_but_a_widget_key_is(make_client: Any) -> None:
    c = make_client(api_keys="secret", widget_keys="public-widget", cors_origins="https://news.example",
                    widget_rate_limit="2/minute")
    page = {"Origin": "https://news.example"}
    assert c.post("/ask", json=ASK, headers=page).status_code == 401
    assert c.post("/ask", json=ASK, headers={**page, "Authorization": "Bearer wrong"}).status_code == 403
    widget = {**page, "Authorization": "Bearer public-widget"}
    # The widget key from another origin is not accepted.
    assert c.post("/ask", json=ASK, headers={"Authorization": "Bearer public-widget"}).status_code == 403
    codes = [c.post("/ask", json=ASK, headers=widget).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # its own, lower budget
    assert c.post("/ask", json=ASK, headers={"Authorization": "Bearer secret"}).status_code == 200


def test_the_demo_page_works_with_keys_required(make_client: Any) -> None:
    c = make_client(api_keys="secret", widget_keys="public-widget")
    assert 'data-key="public-widget"' in c.get("/").text
    own = {"Origin": "http://testserver", "Authorization": "Bearer public-widget"}  # the demo page's own origin
    assert c.post("/ask", json=ASK, headers=own).status_code == 200
    assert c.post("/ask", json=ASK, headers={**own, "Origin": "https://elsewhere.example"}).status_code == 403


# --- 12. conversations belong to their client -----------------------------------------------------
def test_another_client_cannot_continue_a_conversation(make_client: Any) -> None:
    c = make_client(trusted_proxies="testclient")
    a, b = {"X-Forwarded-For": "1.1.1.1"}, {"X-Forwarded-For": "2.2.2.2"}
    first = c.post("/ask", json={"question": "What did the mayor of Calais say?"}, headers=a).json()
    theirs = c.post("/ask", json={"question": "When did she appear?", "conversation_id": first["conversation_id"]},
                    headers=b).json()
    assert theirs["conversation_id"] != first["conversation_id"]
    mine = c.post("/ask", json={"question": "When did she appear?", "conversation_id": first["conversation_id"]},
                  headers=a).json()
    assert mine["conversation_id"] == first["conversation_id"]


# --- 13. loose input ----------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"question": " \u200b "}, {"question": "\u200b\u2060\ufeff"}, {**ASK, "top_k": "3"}, {**ASK, "top_k": True}])
def test_loose_ask_input_is_refused(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post("/ask", json=body).status_code == 422


def test_an_invisible_chat_question_is_refused(client: TestClient) -> None:
    assert _chat(client, [{"role": "user", "content": " \u200b\u2060 "}]).status_code == 422


def test_stream_must_be_a_boolean(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "stream": "yes"})
    assert r.status_code == 422


def test_only_web_urls_are_stored_and_echoed(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents", json={"text": "Some text.", "url": "javascript:alert(1)"}, headers=admin)
    assert r.status_code == 422
    ok = client.post("/documents", json={"text": "Some text.", "url": "https://news.example/a"}, headers=admin)
    assert ok.status_code == 201


def test_a_blocked_preflight_answers_the_json_error_shape(make_client: Any) -> None:
    c = make_client(cors_origins="https://news.example")
    r = c.options("/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert r.headers["x-request-id"]


def test_json_error_bodies_everywhere(client: TestClient) -> None:
    r = client.post("/ask", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and json.loads(r.text)["error"]["request_id"] == r.headers["x-request-id"]
    assert SEED_ID
