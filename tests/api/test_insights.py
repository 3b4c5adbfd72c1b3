"""GET /insights and the editors' page, on both backends: the admin key or nothing, the report's
shape, feedback joined by answer id, bad input as 4xx, every text escaped, nothing about the reader
kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.admin import COOKIE, SESSION_SECONDS, session_token
from api.app import create_app
from index.embedders.base import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import ADMIN_KEY, SEED_ID
from tests.helpers import is_error

READ_KEY = "reader-key-4f1c"
TRICKY = "Is <b>the mayor</b> & council paying?"


@pytest.fixture
def on(settings: Settings) -> Settings:
    # Nothing clears these cut-offs: every question goes unanswered, as the page lists them.
    return settings.model_copy(update={"insights": True, "api_keys": [SecretStr(READ_KEY)], "min_confidence": 1.0,
                                       "closest_confidence": 1.0})


@pytest.fixture
def app(on: Settings) -> Iterator[TestClient]:
    service = QAService.open(on, FakeEmbedder())
    with TestClient(create_app(on, service)) as c:
        yield c
    service.close()


def ask(client: TestClient, question: str, **extra: object) -> dict[str, object]:
    r = client.post("/ask", json={"question": question, "document_id": SEED_ID, **extra},
                    headers={"Authorization": f"Bearer {READ_KEY}"})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_insights_need_the_admin_key(app: TestClient) -> None:
    is_error(app.get("/insights"), 401, "unauthorized")
    is_error(app.get("/insights", headers={"Authorization": f"Bearer {READ_KEY}"}), 403, "forbidden")


def test_insights_are_off_without_an_admin_key(settings: Settings, service: QAService) -> None:
    no_key = settings.model_copy(update={"admin_key": None})
    with TestClient(create_app(no_key, service)) as c:
        is_error(c.get("/insights"), 403, "forbidden")
        assert c.get("/admin/insights").status_code == 403


def test_the_report_per_article(app: TestClient, admin: dict[str, str]) -> None:
    answered = ask(app, "what did Brokenshire say?")
    ask(app, TRICKY)
    r = app.post("/feedback", json={"helpful": False, "answer_id": answered["answer_id"]},
                 headers={"Authorization": f"Bearer {READ_KEY}"})
    assert r.status_code == 201
    body = app.get("/insights", params={"since": 7}, headers=admin).json()
    assert body["recording"] is True and body["questions"] == 2 and body["retention_days"] == 90
    [article] = body["articles"]
    assert article["document_id"] == SEED_ID and article["questions"] == 2 and article["title"]
    assert set(article["outcomes"]) == {"answered", "closest", "abstained"} == set(article["rates"])
    assert article["feedback"] == {"helpful": 0, "unhelpful": 1}
    assert article["unhelpful"][0]["question"] == "what did Brokenshire say?"
    assert set(article) >= {"days", "unanswered", "reasons"}


def test_a_filter_by_article(app: TestClient, admin: dict[str, str]) -> None:
    ask(app, "what did Brokenshire say?")
    assert len(app.get("/insights", params={"document": SEED_ID}, headers=admin).json()["articles"]) == 1
    assert app.get("/insights", params={"document": "other"}, headers=admin).json()["articles"] == []


@pytest.mark.parametrize("params", [{"since": 0}, {"since": 4000}, {"since": "week"}, {"document": "a\nb"},
                                    {"document": "x" * 300}])
def test_bad_filters_are_4xx(app: TestClient, admin: dict[str, str], params: dict[str, str | int]) -> None:
    is_error(app.get("/insights", params=params, headers=admin), 422, "validation_error")


def test_no_address_key_or_conversation_is_kept_with_a_question(app: TestClient, on: Settings) -> None:
    first = ask(app, "what did Brokenshire say?")
    ask(app, "and what did he add?", conversation_id=first["conversation_id"])
    app.get("/insights", headers={"Authorization": f"Bearer {ADMIN_KEY}"})  # flushes what was queued
    if on.database_url is None:
        stored = b"".join(p.read_bytes() for p in Path(on.data_dir).glob("insights.sqlite3*"))
    else:
        import psycopg

        with psycopg.connect(on.database_url.get_secret_value()) as conn:
            stored = repr(conn.execute("SELECT * FROM qa_insights").fetchall()).encode()
    assert b"Brokenshire" in stored
    for secret in (READ_KEY, str(first["conversation_id"]), "testclient", "127.0.0.1"):
        assert secret.encode() not in stored


def test_the_page_asks_for_the_key_and_shows_no_data_without_it(app: TestClient) -> None:
    ask(app, TRICKY)
    r = app.get("/admin/insights")
    assert r.status_code == 401 and 'type="password"' in r.text
    assert "mayor" not in r.text and SEED_ID not in r.text
    for cookie in (f"{int(time.time())}.{'0' * 64}", session_token(ADMIN_KEY, int(time.time()) - SESSION_SECONDS - 1),
                   session_token("another key", int(time.time()))):  # forged, stale, of another key
        app.cookies.set(COOKIE, cookie)
        assert app.get("/admin/insights").status_code == 401
    app.cookies.clear()
    r = app.post("/admin/insights", data={"key": "wrong"})
    assert r.status_code == 403 and "not the admin key" in r.text and "mayor" not in r.text


def test_the_key_form_signs_in_for_a_session_and_out(app: TestClient) -> None:
    ask(app, TRICKY)
    r = app.post("/admin/insights?since=7", data={"key": ADMIN_KEY}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/insights?since=7"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert ADMIN_KEY not in cookie
    page = app.get("/admin/insights?since=7")
    assert page.status_code == 200 and "<svg" in page.text and 'class="abstained"' in page.text
    assert "Is &lt;b&gt;the mayor&lt;/b&gt; &amp; council paying?" in page.text and "<b>the" not in page.text
    policy = page.headers["content-security-policy"]
    assert "style-src 'sha256-" in policy and "unsafe-inline" not in policy and "script-src" not in policy
    assert page.headers["cache-control"] == "no-store"
    app.post("/admin/logout")
    assert app.get("/admin/insights").status_code == 401


def test_the_page_takes_a_bearer_key_too(app: TestClient, admin: dict[str, str]) -> None:
    ask(app, "what did Brokenshire say?")
    r = app.get("/admin/insights", params={"document": SEED_ID, "since": 30}, headers=admin)
    assert r.status_code == 200 and "what did Brokenshire say?" in r.text and "all articles" in r.text


def test_a_post_that_is_no_key_form_gets_the_form(app: TestClient) -> None:
    for body in ("a=1&" * 50, "", "key"):
        r = app.post("/admin/insights", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403 and 'type="password"' in r.text
