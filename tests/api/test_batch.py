from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

DOCS = [{"id": f"b{i}", "title": f"Batch {i}", "text": f"Batch story {i} opened. It rained on day {i}."}
        for i in range(3)]


def test_batch_adds_counts_and_resumes(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents/batch", json={"documents": DOCS[:2]}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 2, "replaced": 0, "unchanged": 0, "failed": 0, "sentences": 4, "failures": []}
    r = client.post("/documents/batch", json={"documents": DOCS}, headers=admin)  # sent again after a failure
    assert (r.json()["added"], r.json()["unchanged"], r.json()["sentences"]) == (1, 2, 2)
    assert client.get("/documents/b2").json()["sentences"] == 2
    passages = client.post("/ask", json={"question": "When did it rain on day 2?", "top_k": 1}).json()["passages"]
    assert passages[0]["document_id"] == "b2"


def test_one_bad_document_is_named_and_the_others_stored(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/documents", json=DOCS[0], headers=admin)
    docs = [{**DOCS[0], "text": "Other content."}, {"id": "empty", "text": "<p> </p>", "format": "html"}, DOCS[1]]
    body = client.post("/documents/batch", json={"documents": docs}, headers=admin).json()
    assert (body["added"], body["failed"]) == (1, 2)
    assert [(f["index"], f["id"]) for f in body["failures"]] == [(0, "b0"), (1, "empty")]
    assert "other content" in body["failures"][0]["message"]
    body = client.post("/documents/batch", json={"documents": docs[:1], "replace": True}, headers=admin).json()
    assert body["replaced"] == 1 and client.get("/documents/b0").json()["text"] == "Other content."


def test_batch_needs_the_admin_key(client: TestClient) -> None:
    assert client.post("/documents/batch", json={"documents": DOCS}).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert client.post("/documents/batch", json={"documents": DOCS}, headers=wrong).status_code == 403
    assert client.get("/documents/b0").status_code == 404  # nothing stored


def test_bad_batches_get_a_clear_4xx(client: TestClient, admin: dict[str, str]) -> None:
    for body in [{"documents": []}, {"documents": [{"title": "no text"}]}, {"docs": DOCS},
                 {"documents": [{"text": "x"}] * 1001}, {"documents": [{**DOCS[0], "url": "ftp://x"}]}]:
        r = client.post("/documents/batch", json=body, headers=admin)
        assert r.status_code == 422, body
        assert r.json()["error"]["message"]
    r = client.post("/documents/batch", content=b"{not json", headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert client.get("/documents/b0").status_code == 404  # an invalid batch stores nothing


def test_batch_body_is_bounded(settings: Settings, service: QAService, admin: dict[str, str]) -> None:
    small = settings.model_copy(update={"max_body_bytes": 4096})
    with TestClient(create_app(small, service)) as c:
        docs = [{"id": f"big{i}", "text": "Words of a long story. " * 50} for i in range(5)]
        r = c.post("/documents/batch", json={"documents": docs}, headers=admin)
        assert r.status_code == 413 and "exceeds 4096 bytes" in r.json()["error"]["message"]
        assert c.get("/documents/big0").status_code == 404


def test_a_batch_sent_again_changes_nothing(client: TestClient, admin: dict[str, str], service: QAService) -> None:
    batch = {"documents": [{"id": f"d{i}", "text": f"Story {i} happened in town {i}."} for i in range(3)]}
    assert client.post("/documents/batch", json=batch, headers=admin).json()["added"] == 3
    generation = service.backend.generation()
    again = client.post("/documents/batch", json=batch, headers=admin).json()
    assert again["unchanged"] == 3 and service.backend.generation() == generation
