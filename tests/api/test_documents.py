from fastapi.testclient import TestClient

from tests.conftest import SEED_ID

DOC = {"id": "harbour", "title": "Harbour", "text": "The harbour opened in 1990. Ships dock daily.",
       "url": "https://example.org/harbour", "metadata": {"section": "local"}}


def test_create_read_replace_delete(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents", json=DOC, headers=admin)
    assert r.status_code == 201 and r.json() == {"id": "harbour", "sentences": 2}
    assert client.post("/documents", json=DOC, headers=admin).status_code == 200  # identical: no-op
    assert client.post("/documents", json={**DOC, "text": "Changed."}, headers=admin).status_code == 409
    got = client.get("/documents/harbour").json()
    assert got["text"] == DOC["text"] and got["metadata"] == {"section": "local"} and got["sentences"] == 2
    assert {d["id"] for d in client.get("/documents").json()} == {SEED_ID, "harbour"}
    r = client.put("/documents/harbour", json={"text": "Now one sentence."}, headers=admin)
    assert r.status_code == 200 and r.json()["sentences"] == 1
    assert client.put("/documents/new-one", json={"text": "Fresh."}, headers=admin).status_code == 201
    assert client.delete("/documents/harbour", headers=admin).status_code == 204
    assert client.get("/documents/harbour").status_code == 404


def test_document_without_id_gets_content_id(client: TestClient, admin: dict[str, str]) -> None:
    a = client.post("/documents", json={"text": "Same text."}, headers=admin).json()
    b = client.post("/documents", json={"text": "Same text."}, headers=admin).json()
    assert a["id"] == b["id"]


def test_html_document_is_cleaned(client: TestClient, admin: dict[str, str]) -> None:
    html = "<h1>Title</h1><p>Safe text.</p><script>evil()</script><img src=x onerror=alert(1)>"
    r = client.post("/documents", json={"id": "h", "text": html, "format": "html"}, headers=admin)
    assert r.status_code == 201
    assert client.get("/documents/h").json()["text"] == "Safe text."


def test_large_document_is_accepted(client: TestClient, admin: dict[str, str]) -> None:
    paragraph = "The harbour board met on Tuesday and approved a plan worth 4.5 million. " * 20
    text = "\n\n".join(f"Item {i}. {paragraph}" for i in range(700))  # distinct: repeats are dropped
    assert len(text) > 1_000_000
    r = client.post("/documents", json={"id": "big", "text": text}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["sentences"] > 10_000


def test_suggested_questions_are_served_with_the_document(client: TestClient, admin: dict[str, str]) -> None:
    seed = client.get(f"/documents/{SEED_ID}").json()
    assert 2 <= len(seed["suggestions"]) <= 3 and all(q.endswith("?") for q in seed["suggestions"])
    listed = {d["id"]: d for d in client.get("/documents").json()}
    assert listed[SEED_ID]["suggestions"] == seed["suggestions"]
    own = client.get("/suggestions", params={"document_id": SEED_ID}).json()["suggestions"]
    assert [s["question"] for s in own] == seed["suggestions"]
    assert {s["document_id"] for s in own} == {SEED_ID}
    quoted = '"We will open the harbour again before the summer season," said Ada Lund, the harbour master.'
    client.put("/documents/harbour", headers=admin, json={"title": "Harbour", "text": quoted})
    newest_first = client.get("/suggestions").json()["suggestions"]
    assert [s["document_id"] for s in newest_first] == ["harbour", SEED_ID]
    assert newest_first[0] == {"question": "What did Ada Lund say?", "document_id": "harbour",
                               "document_title": "Harbour"}
    assert client.get("/suggestions", params={"document_id": "nope"}).status_code == 404


def test_suggestions_reject_an_id_no_document_can_have(client: TestClient) -> None:
    r = client.get("/suggestions", params={"document_id": "a\x00b"})
    assert r.status_code == 422 and r.json()["error"]["code"]
