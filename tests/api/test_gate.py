"""Issue 26, item 1: a request's key is decided from its head, before a byte of its body is read,
and every body has a deadline; keyless slow bodies get a bounded share of places."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import pacing
from api.app import create_app
from api.gate import Lane, lane
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import ADMIN_KEY

WRITES = [("POST", "/documents"), ("POST", "/documents/batch"), ("PUT", "/documents/a/b"),
          ("DELETE", "/documents/x"), ("GET", "/feedback")]


def _run(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]],
         chunks: list[bytes] | None = None, pause: float = 0.0) -> tuple[int, dict[str, str], int]:
    """One request straight into the ASGI app: (status, headers, body messages the app asked for).
    The body comes as `chunks`, `pause` seconds apart; with none, asking for it fails the test."""
    sent: list[dict[str, Any]] = []
    asked = [0]

    async def receive() -> dict[str, Any]:
        if chunks is None:
            raise AssertionError("the body was read")
        i = asked[0]
        asked[0] += 1
        if i >= len(chunks):
            await asyncio.sleep(3600)
        await asyncio.sleep(pause)
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5), "server": ("t", 80),
             "scheme": "http", "http_version": "1.1", "root_path": "", "app": app, "state": {}}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, asked[0]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer wrong", 403), ("Basic x", 401)])
def test_a_write_without_the_admin_key_is_refused_from_its_head(service: QAService, settings: Settings,
                                                              method: str, path: str, header: str | None,
                                                              status: int) -> None:
    app = create_app(settings, service)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"500000")]
    code, sent, _ = _run(app, method, path, headers + ([(b"authorization", header.encode())] if header else []))
    assert code == status and sent["connection"] == "close"  # the unread rest is never parsed as a request


def test_a_keyless_bad_json_batch_is_401_not_422(client: TestClient) -> None:
    r = client.post("/documents/batch", content=b"{bad json", headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_writes_off_without_an_admin_key_are_403_from_the_head(service: QAService, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"admin_key": None}), service)
    assert _run(app, "POST", "/documents", [(b"authorization", f"Bearer {ADMIN_KEY}".encode())])[0] == 403


def test_an_admin_read_with_another_key_says_it_needs_the_admin_key(client: TestClient) -> None:
    r = client.get("/insights", headers={"Authorization": "Bearer not-the-admin-key"})
    assert r.status_code == 403 and "admin key" in r.json()["error"]["message"]
    assert "write" not in r.json()["error"]["message"]  # GET /insights is no write


def test_the_admin_key_still_writes(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents", json={"id": "gate", "text": "The ferry sails at noon."}, headers=admin)
    assert r.status_code == 201


def test_a_body_trickled_too_slowly_is_cut_with_408(service: QAService, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"body_timeout_seconds": 0.3, "min_body_rate": 10}), service)
    key = [(b"authorization", f"Bearer {ADMIN_KEY}".encode())]
    t0 = time.monotonic()
    # one byte every 0.2 s: 5 bytes a second against at least 10 after the first 0.3 s
    code, sent, asked = _run(app, "POST", "/documents", key, [b"{"] * 40, pause=0.2)
    assert code == 408 and sent["connection"] == "close" and asked < 10 and time.monotonic() - t0 < 3


def test_a_body_that_keeps_up_the_rate_is_read_whole(service: QAService, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"body_timeout_seconds": 0.3, "min_body_rate": 1000}), service)
    body = b'{"question": "What did the mayor of Calais say?"}'
    chunks = [body[i:i + 10] for i in range(0, len(body), 10)]
    assert _run(app, "POST", "/ask", [(b"content-type", b"application/json")], chunks, pause=0.05)[0] == 200


def test_keyless_slow_bodies_get_a_bounded_share(service: QAService, settings: Settings,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "FAST", 0.1)
    app = create_app(settings.model_copy(update={"max_slow_connections": 2}), service)
    body = b'{"question": "What did the mayor of Calais say?"}'
    chunks = [body[i:i + 5] for i in range(0, len(body), 5)]

    async def many(n: int, keyed: bool) -> list[int]:
        headers = [(b"content-type", b"application/json")] + (
            [(b"authorization", f"Bearer {ADMIN_KEY}".encode())] if keyed else [])
        runs = [asyncio.to_thread(_run, app, "POST", "/ask", headers, chunks, 0.05) for _ in range(n)]
        return [r[0] for r in await asyncio.gather(*runs)]

    keyless = asyncio.run(many(5, keyed=False))
    assert sorted(keyless) == [200, 200, 408, 408, 408]  # two places; the others answered at once
    assert asyncio.run(many(5, keyed=True)) == [200] * 5  # a valid key never needs a place


# --- item 7: who may call what, decided per endpoint (docs/security.md, "Who may call what") -------
# (method, path, lane): reading article text or the service's figures is a read (key when
# QA_API_KEYS is set, and QA_RATE_LIMIT); the pages a browser opens are open but counted; probes,
# the API's description and the widget script are open and never counted.
ENDPOINTS = [("GET", "/documents", "read"), ("GET", "/documents/000_faad21c899ddfd9f", "read"),
             ("GET", "/suggestions", "read"), ("GET", "/metrics", "read"), ("GET", "/v1/models", "read"),
             ("GET", "/", "page"), ("GET", "/preview/000_faad21c899ddfd9f", "page"),
             ("GET", "/docs", "open"), ("GET", "/openapi.json", "open"), ("GET", "/widget.js", "open"),
             ("GET", "/healthz", "open"), ("GET", "/readyz", "open")]


@pytest.mark.parametrize(("method", "path", "kind"), ENDPOINTS)
def test_each_endpoint_needs_what_its_lane_says(service: QAService, settings: Settings, method: str, path: str,
                                               kind: str) -> None:
    tuned = settings.model_copy(update={"api_keys": [SecretStr("reader")], "rate_limit": "3/minute"})
    with TestClient(create_app(tuned, service)) as c:
        keyless = [c.request(method, path).status_code for _ in range(5)]
        keyed = [c.request(method, path, headers={"Authorization": "Bearer reader"}).status_code for _ in range(5)]
    expected = {"read": ([401] * 5, [200] * 3 + [429] * 2), "page": ([200] * 3 + [429] * 2, [200] * 3 + [429] * 2),
                "open": ([200] * 5, [200] * 5)}[kind]
    assert (keyless, keyed) == expected


def test_the_admin_key_reads_too(service: QAService, settings: Settings) -> None:
    tuned = settings.model_copy(update={"api_keys": [SecretStr("reader")]})
    with TestClient(create_app(tuned, service)) as c:
        assert c.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200


def test_the_widget_reads_suggestions_with_its_key(service: QAService, settings: Settings) -> None:
    tuned = settings.model_copy(update={"api_keys": [SecretStr("reader")], "widget_keys": [SecretStr("pk")],
                                        "cors_origins": ["https://news.example"]})
    with TestClient(create_app(tuned, service)) as c:
        widget = {"Origin": "https://news.example", "Authorization": "Bearer pk"}
        assert c.get("/suggestions", headers=widget).status_code == 200
        assert c.get("/suggestions", headers={"Origin": "https://news.example"}).status_code == 401


@pytest.mark.parametrize("method,path,expected", [
    ("GET", "/insights", Lane.ADMIN), ("GET", "/admin/insights", Lane.PAGE), ("POST", "/admin/insights", Lane.PAGE),
    ("POST", "/mcp", Lane.READ), ("GET", "/favicon.ico", Lane.OPEN),
])
def test_the_later_endpoints_have_their_lanes(method: str, path: str, expected: Lane) -> None:
    assert lane(method, path) is expected
