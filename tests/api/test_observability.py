import json
import logging

import pytest
from fastapi.testclient import TestClient

from api.observability import JsonFormatter, request_id
from index.embedders.base import FakeEmbedder
from qa.ingestion import DocumentInput
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
