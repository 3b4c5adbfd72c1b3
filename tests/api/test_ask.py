from fastapi.testclient import TestClient

from tests.conftest import SEED_ID

PASSAGE_KEYS = {"text", "score", "document_id", "document_title", "sentence_index", "start", "end", "context",
                "highlight", "source"}


def test_ask_returns_answer_and_passages(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "what did Brokenshire say?", "top_k": 4})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"answer", "passages", "conversation_id"}
    assert len(body["passages"]) == 4
    assert all(set(p) == PASSAGE_KEYS for p in body["passages"])
    assert body["answer"] == body["passages"][0]
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_document_scope_and_abstention(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "What is the population of Paris?", "document_id": SEED_ID})
    assert r.status_code == 200 and r.json()["answer"] is None
    assert all(p["document_id"] == SEED_ID for p in r.json()["passages"])


def test_conversation_id_round_trips(client: TestClient) -> None:
    first = client.post("/ask", json={"question": "What did the mayor of Calais say?"}).json()
    second = client.post("/ask", json={"question": "When did she appear before the committee?",
                                       "conversation_id": first["conversation_id"]}).json()
    assert second["conversation_id"] == first["conversation_id"]
    assert "Last week" in second["passages"][0]["text"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 1 and ready["sentences"] >= 12
    assert client.get("/openapi.json").status_code == 200
