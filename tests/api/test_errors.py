import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings
from tests.helpers import is_error as _is_error
from tests.helpers import wait_for


@pytest.mark.parametrize("body", [
    {}, {"question": ""}, {"question": "x" * 2001}, {"question": 5}, {"question": "ok", "top_k": 0},
    {"question": "ok", "top_k": 51}, {"question": "ok", "top_k": "many"}, {"question": "ok", "extra": 1},
    {"question": ["a"]},
])
def test_bad_ask_bodies_get_422(client: TestClient, body: dict[str, object]) -> None:
    _is_error(client.post("/ask", json=body), 422, "validation_error")


def test_malformed_json_gets_422(client: TestClient) -> None:
    r = client.post("/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    _is_error(r, 422, "validation_error")


def test_a_json_syntax_error_says_where_it_is_not_a_position_as_a_field(client: TestClient) -> None:
    body = b'{"question": "who said it?",\n "top_k": 3,,\n}'
    r = client.post("/ask", content=body, headers={"Content-Type": "application/json"})
    detail = r.json()["error"]["details"][0]
    assert detail["field"] == "body" and (detail["line"], detail["column"]) == (2, 13)
    assert "line 2, column 13" in r.json()["error"]["message"] and "Expecting" in detail["message"]


def test_unknown_document_gets_404(client: TestClient) -> None:
    _is_error(client.post("/ask", json={"question": "hi", "document_id": "nope"}), 404, "not_found")
    _is_error(client.get("/documents/nope"), 404, "not_found")
    _is_error(client.delete("/documents/nope", headers={"Authorization": "Bearer test-admin-key"}),
              404, "not_found")


def test_writes_need_the_admin_key(client: TestClient) -> None:
    doc = {"text": "Hello there."}
    _is_error(client.post("/documents", json=doc), 401, "unauthorized")
    _is_error(client.post("/documents", json=doc, headers={"Authorization": "Bearer wrong"}), 403, "forbidden")
    _is_error(client.delete("/documents/x"), 401, "unauthorized")


def test_writes_are_forbidden_without_a_configured_key(settings: Settings, service: QAService) -> None:
    open_settings = settings.model_copy(update={"admin_key": None})
    with TestClient(create_app(open_settings, service)) as c:
        _is_error(c.post("/documents", json={"text": "Hi."}, headers={"Authorization": "Bearer x"}),
                  403, "forbidden")


def test_a_slow_answer_gets_503_timeout_in_time(settings: Settings, service: QAService,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The answer never comes until the test lets it: the 503 can only be the deadline's doing.
    release, started = threading.Event(), threading.Event()

    def stuck_ask(*args: object, **kwargs: object) -> None:
        started.set()
        release.wait(60)

    monkeypatch.setattr(service, "ask", stuck_ask)
    hasty = settings.model_copy(update={"request_timeout_seconds": 0.3})
    with TestClient(create_app(hasty, service)) as c:
        try:
            r = c.post("/ask", json={"question": "anything?"})
            assert started.is_set() and not release.is_set()  # answered while the work was still stuck
        finally:
            release.set()
        _is_error(r, 503, "timeout")
        assert r.json()["error"]["request_id"] == r.headers["x-request-id"]
        assert c.get("/healthz").status_code == 200  # quick requests are unaffected


def test_oversized_body_gets_413(settings: Settings, service: QAService) -> None:
    small = settings.model_copy(update={"max_body_bytes": 4096, "max_read_body_bytes": 2048})
    with TestClient(create_app(small, service)) as c:
        _is_error(c.post("/ask", json={"question": "x" * 3000}), 413, "payload_too_large")
        # Documents have their own, larger limit.
        _is_error(c.post("/documents", json={"text": "x" * 5000}), 413, "payload_too_large")
        assert c.post("/documents", json={"text": "x" * 3000}).status_code != 413


def test_bad_document_gets_4xx(client: TestClient, admin: dict[str, str]) -> None:
    # Rules the schema states are validation errors; rules about content are bad_input.
    _is_error(client.post("/documents", json={"text": "   "}, headers=admin), 422, "validation_error")
    _is_error(client.post("/documents", json={"text": "x", "format": "pdf"}, headers=admin), 422,
              "validation_error")
    _is_error(client.post("/documents", json={"id": "a/../b", "text": "x"}, headers=admin), 422,
              "validation_error")
    _is_error(client.post("/documents", json={"text": "not json", "format": "json"}, headers=admin), 422,
              "bad_input")
    _is_error(client.post("/documents", json={"text": "<script>x()</script>", "format": "html"}, headers=admin),
              422, "bad_input")
    _is_error(client.post("/documents", json={"text": 3}, headers=admin), 422, "validation_error")


def test_unknown_route_and_method(client: TestClient) -> None:
    _is_error(client.get("/nope"), 404, "not_found")
    _is_error(client.get("/ask"), 405, "method_not_allowed")


def _wait_ready(c: TestClient) -> int:
    """The status /readyz settles on: a loading service says 503 until it is ready or has failed."""
    try:
        wait_for(lambda: c.get("/readyz").status_code != 503, "the service to load", attempts=200)
    except AssertionError:
        return 503
    return c.get("/readyz").status_code


def test_loading_happens_in_the_background(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:  # no injected service: the lifespan loads one
        assert c.get("/healthz").status_code == 200
        assert _wait_ready(c) == 200
        assert c.post("/ask", json={"question": "what did Brokenshire say?"}).status_code == 200


def test_a_store_that_cannot_load_keeps_readyz_503(settings: Settings, tmp_path: Path) -> None:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.database_path.write_bytes(b"not a database" * 1000)
    else:  # a database server nobody runs: the loader keeps retrying, readiness stays 503
        settings = settings.model_copy(update={"database_url": SecretStr(f"postgresql://qa@/qa?host={tmp_path}")})
    # The cause, as far as a client may know it: a database down is not a broken model or index.
    cause = "could not load" if settings.database_url is None else "database is unavailable"
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        # Until the first attempt has failed /readyz says "still loading"; then it names the cause.
        wait_for(lambda: "still loading" not in c.get("/readyz").text, "the first load to fail", attempts=400)
        r = c.get("/readyz")
        _is_error(r, 503, "not_ready")
        assert cause in r.json()["error"]["message"] and "sqlite" not in r.text.lower()
        _is_error(c.post("/ask", json={"question": "hello?"}), 503, "not_ready")


def test_a_lost_database_connection_is_503_then_recovers(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    from index.embedders.base import FakeEmbedder
    from tests.conftest import ADMIN_KEY, NEUTRAL, SEEDS

    settings = Settings(data_dir=tmp_path / "d", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL,
                        admin_key=ADMIN_KEY,
                        database_url=postgres_url)
    service = QAService.open(settings, FakeEmbedder())
    try:
        with TestClient(create_app(settings, service)) as c:
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            r = c.post("/ask", json={"question": "what did Brokenshire say?"})
            _is_error(r, 503, "unavailable")
            assert "psycopg" not in r.text and "postgres" not in r.text.lower()
            assert c.post("/ask", json={"question": "what did Brokenshire say?"}).status_code == 200
    finally:
        service.close()


def test_a_failed_load_is_tried_again_without_a_restart(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.errors import EmbedderUnavailable

    real_open = QAService.open
    attempts: list[int] = []

    def flaky(s: Settings, embedder: object = None) -> QAService:
        attempts.append(1)
        if len(attempts) == 1:  # as a model export that failed once (disk full, killed child...)
            raise EmbedderUnavailable("exporting the model to ONNX failed (exit 1)")
        return real_open(s)

    monkeypatch.setattr(QAService, "open", staticmethod(flaky))
    with TestClient(create_app(settings)) as c:
        assert _wait_ready(c) == 200
        assert len(attempts) == 2
        assert c.post("/ask", json={"question": "what did Brokenshire say?"}).status_code == 200
