import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import ready_line
from api.observability import QUIETED, UVICORN, JsonFormatter, configure_logging, request_id, resolve_format
from index.embedders.base import FakeEmbedder
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings


def test_request_id_is_echoed_generated_and_in_error_bodies(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    bad = client.get("/healthz", headers={"X-Request-ID": "x" * 500 + "\n"}).headers["x-request-id"]
    assert bad != "x" * 500 and len(bad) == 32  # insane ids are replaced, never echoed
    err = client.get("/documents/nope", headers={"X-Request-ID": "err-1"})
    assert err.json()["error"]["request_id"] == "err-1" and err.headers["x-request-id"] == "err-1"


def test_metrics_count_requests_answers_and_writes(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/ask", json={"question": "what did Brokenshire say?"})
    client.post("/ask", json={"question": "What is the population of Paris?",
                              "document_id": "000_faad21c899ddfd9f"})
    client.post("/documents", json={"id": "m1", "text": "A sentence."}, headers=admin)
    client.get("/documents/does-not-exist")
    text = client.get("/metrics").text
    assert 'qa_http_requests_total{method="POST",route="/ask",status="200"} 2.0' in text
    assert 'qa_http_requests_total{method="GET",route="/documents/{document_id}",status="404"} 1.0' in text
    assert 'qa_answers_total{outcome="answered"} 1.0' in text and 'qa_answers_total{outcome="abstained"} 1.0' in text
    assert 'qa_document_writes_total{operation="create"} 1.0' in text
    assert "qa_index_sentences" in text and "qa_documents 2.0" in text
    assert "qa_http_request_seconds_bucket" in text


def test_json_log_lines_carry_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    token = request_id.set("log-42")
    try:
        record = logging.LogRecord("qa", logging.INFO, __file__, 1, "hello %s", ("there",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello there" and line["request_id"] == "log-42" and line["level"] == "INFO"


def test_gauges_follow_the_store_written_by_another_process(client: TestClient, settings: Settings) -> None:
    before = _gauge(client.get("/metrics").text, "qa_index_sentences")
    other = QAService.open(settings, FakeEmbedder())  # as `qa ingest` on the same data folder would
    try:
        other.put(DocumentInput(id="from-cli", text="The pier reopened. Crowds came. It rained."))
    finally:
        other.close()
    text = client.get("/metrics").text
    assert _gauge(text, "qa_index_sentences") == before + 3 and _gauge(text, "qa_documents") == 2


def _gauge(text: str, name: str) -> float:
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def test_metrics_count_answer_cache_hits_and_misses(client: TestClient) -> None:
    question = {"question": "what did Brokenshire say?", "document_id": "000_faad21c899ddfd9f"}
    client.post("/ask", json=question)
    client.post("/ask", json=question)  # the same question on the same articles: answered from the cache
    text = client.get("/metrics").text
    hit = next(line for line in text.splitlines() if line.startswith('qa_answer_cache_lookups{result="hit"}'))
    assert float(hit.split()[1]) >= 1


@pytest.fixture
def restore_logging() -> Iterator[None]:
    names = ["", *QUIETED, *UVICORN]
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
             for n in names}
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_a_healthy_start_logs_one_format_and_nothing_that_reads_as_an_error(fmt: str) -> None:
    out = io.StringIO()
    configure_logging(fmt, stream=out)
    logging.getLogger("faiss.loader").info("Could not load library with AVX2 support due to: ModuleNotFoundError")
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info('127.0.0.1:5 - "GET /readyz HTTP/1.1" 200')
    logging.getLogger("api").info("ready: http://127.0.0.1:8000 (1 article)")
    logging.getLogger("uvicorn.error").error("Exception in ASGI application")  # errors still show
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and not any("AVX2" in line or "startup complete" in line for line in lines)
    if fmt == "json":
        assert [json.loads(line)["logger"] for line in lines] == ["uvicorn.access", "api", "uvicorn.error"]
    else:
        assert all(re.match(r"\d\d:\d\d:\d\d (INFO |ERROR) ", line) for line in lines), lines
        assert lines[1].endswith("INFO    ready: http://127.0.0.1:8000 (1 article)")


def test_auto_is_plain_on_a_terminal_and_json_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_format("auto", Terminal()) == "plain" and resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("json", Terminal()) == "json"


def test_the_ready_line_names_the_address_and_the_articles() -> None:
    assert ready_line(Settings(host="0.0.0.0", port=8080), 1) == "ready: http://127.0.0.1:8080 (1 article)"
    assert ready_line(Settings(host="::1"), 3) == "ready: http://[::1]:8000 (3 articles)"
