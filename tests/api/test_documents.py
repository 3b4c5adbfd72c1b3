import json
import unicodedata
from datetime import datetime
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from qa.errors import BadInput
from qa.ingest import ingestion
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from tests.conftest import ROOT, SEED_ID

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


def test_a_page_posted_without_its_format_is_read_as_html(client: TestClient, admin: dict[str, str]) -> None:
    page = ("<!doctype html><html><head><title>Mill closes</title></head><body><nav>Home</nav>"
            "<article><h1>Mill closes</h1><p>The mill closed in 1870 after a fire.</p></article></body></html>")
    r = client.post("/documents", json={"id": "mill", "text": page}, headers=admin)
    assert r.status_code == 201, r.text
    got = client.get("/documents/mill").json()
    assert got["text"] == "The mill closed in 1870 after a fire." and got["title"] == "Mill closes"


@pytest.mark.slow
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


PATH_ID = "world/europe/2015/calais-officials"


def test_an_id_with_slashes_works_raw_and_percent_encoded(client: TestClient, admin: dict[str, str]) -> None:
    r = client.put(f"/documents/{PATH_ID}", json={"text": "Officials met in Calais."}, headers=admin)
    assert r.status_code == 201 and r.json()["id"] == PATH_ID
    assert client.get(f"/documents/{PATH_ID}").json()["id"] == PATH_ID
    assert client.get("/documents/" + quote(PATH_ID, safe="")).json()["id"] == PATH_ID
    assert client.post("/documents", json={"id": "a/b c/é", "text": "Other text."}, headers=admin).status_code == 201
    assert client.get("/documents/a%2Fb%20c%2F%C3%A9").json()["text"] == "Other text."
    assert client.delete("/documents/" + quote(PATH_ID, safe=""), headers=admin).status_code == 204
    assert client.get(f"/documents/{PATH_ID}").status_code == 404


@pytest.mark.parametrize("encoded", ["a%E2%80%AEb", "a%00b", "a%0Ab", "a%C2%85b", "a/%2E%2E/b", "%2E%2E", "a%2F%2Fb",
                                     "a%ffb", "a%3Fb", "a%23b", "a%25b", "a%5Cb", "%20a", "a%2F"])
def test_bad_ids_in_the_path_are_422(client: TestClient, admin: dict[str, str], encoded: str) -> None:
    for r in (client.get(f"/documents/{encoded}"),
              client.put(f"/documents/{encoded}", json={"text": "Some text."}, headers=admin),
              client.delete(f"/documents/{encoded}", headers=admin)):
        assert r.status_code == 422, (encoded, r.text)
        assert r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("bad", ["a\u202eb", "a\u2066b", "a\x00b", "a\x9bb", "../x", "x/./y", "a?b", "a#b", "a%ffb",
                                 "a\ufffdb", "/a", "a/", "a\\b"])
def test_bad_ids_in_the_body_are_422(client: TestClient, admin: dict[str, str], bad: str) -> None:
    r = client.post("/documents", json={"id": bad, "text": "Some text."}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", (bad, r.text)


def test_ids_from_other_writers_follow_the_same_rule(service: QAService) -> None:
    with pytest.raises(BadInput, match="invalid document id"):
        service.put(DocumentInput(id="a\u202eb", text="Some text."))
    assert service.put(DocumentInput(id=PATH_ID, text="Some text.")).document.id == PATH_ID


def test_a_page_shows_what_it_says_about_itself(client: TestClient, admin: dict[str, str]) -> None:
    page = (ROOT / "tests" / "data" / "pages" / "comments.html").read_text()
    assert client.put("/documents/news/mayor", json={"text": page, "format": "html"}, headers=admin).status_code == 201
    doc = client.get("/documents/news/mayor").json()
    assert doc["title"] == "Mayor faces calls to resign over harbour contract"
    assert doc["url"] == "https://www.northportgazette.example/news/2026/mar/04/mayor-harbour-contract"
    assert doc["metadata"] == {"author": "Priya Lawson", "published": "2026-03-04", "site": "northportgazette.example"}
    assert "jimbo77" not in doc["text"] and "Related stories" not in doc["text"]
    answer = client.post("/ask", json={"question": "should the mayor resign?", "document_id": "news/mayor"}).json()
    assert all("jimbo77" not in p["text"] for p in answer["passages"])


def test_a_json_document_keeps_its_url(client: TestClient, admin: dict[str, str]) -> None:
    body = json.dumps({"title": "T", "text": "The ferry runs daily.", "url": "https://news.example/ferry"})
    client.put("/documents/ferry", json={"text": body, "format": "json"}, headers=admin)
    assert client.get("/documents/ferry").json()["url"] == "https://news.example/ferry"


def test_markup_only_markdown_is_a_clear_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents", json={"text": "--- *", "format": "md"}, headers=admin)
    assert r.status_code == 422 and "no readable text" in r.json()["error"]["message"]


def test_timestamps_are_iso_8601_with_a_time_zone(client: TestClient, admin: dict[str, str]) -> None:
    client.put("/documents/when", json={"text": "Some text."}, headers=admin)
    for doc in (client.get("/documents/when").json(), client.get("/documents").json()[0]):
        for key in ("created_at", "updated_at"):
            assert datetime.fromisoformat(doc[key]).utcoffset() is not None, doc[key]


def test_a_document_over_the_budget_is_a_clear_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/documents", json={"id": "huge", "text": "word " * 400_001}, headers=admin)
    assert r.status_code == 422 and "2000000 characters" in r.json()["error"]["message"], r.text
    assert client.get("/documents/huge").status_code == 404


def _nested(levels: int) -> dict[str, object]:
    """An object `levels` deep, counting itself: {"a": {"a": ... {}}}."""
    inner: dict[str, object] = {}
    for _ in range(levels - 1):
        inner = {"a": inner}
    return inner


DEEP_ARRAYS = {"a": json.loads("[" * 32 + "1" + "]" * 32)}  # 33 levels counting the object


@pytest.mark.parametrize("metadata", [_nested(33), _nested(300), DEEP_ARRAYS, {"notes": "x" * 17_000}],
                         ids=["33", "300", "arrays", "large"])
def test_metadata_that_could_not_be_served_back_is_422(client: TestClient, admin: dict[str, str],
                                                       metadata: dict[str, object]) -> None:
    # 260 levels were stored, and then GET /documents answered 500 for everyone (issue 26).
    r = client.post("/documents", json={"id": "deep", "text": "Some text.", "metadata": metadata}, headers=admin)
    assert r.status_code == 422 and "metadata" in r.json()["error"]["message"], r.text
    r = client.post("/documents/batch", json={"documents": [{"id": "deep", "text": "Some text.", "metadata": metadata},
                                                             {"id": "fine", "text": "Other text."}]}, headers=admin)
    assert r.status_code == 422
    assert client.get("/documents").status_code == 200 and client.get("/documents/deep").status_code == 404


def test_metadata_as_deep_as_allowed_is_served_back(client: TestClient, admin: dict[str, str]) -> None:
    metadata = _nested(32)
    r = client.put("/documents/deep", json={"text": "Some text.", "metadata": metadata}, headers=admin)
    assert r.status_code == 201
    assert client.get("/documents/deep").json()["metadata"] == metadata
    assert {d["id"]: d["metadata"] for d in client.get("/documents").json()}["deep"] == metadata


def test_metadata_from_other_writers_follows_the_same_rule(service: QAService) -> None:
    with pytest.raises(BadInput, match="nested 33 or more levels"):
        service.put(DocumentInput(id="deep", text="Some text.", metadata=_nested(300)))
    with pytest.raises(BadInput, match="plain JSON"):
        service.put(DocumentInput(id="nan", text="Some text.", metadata={"score": float("nan")}))
    assert not service.has_document("deep") and not service.has_document("nan")


def test_a_row_stored_before_the_rule_does_not_break_the_listing(client: TestClient, admin: dict[str, str],
                                                                 service: QAService,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as before:
        before.setattr(ingestion, "check_metadata", lambda metadata: metadata)
        service.put(DocumentInput(id="old", text="Some text.", metadata=_nested(300)))
    assert client.get("/documents").status_code == 200
    assert client.get("/documents/old").json()["metadata"] == {}


BAD_URLS = ["javascript:alert(17)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "https://x.org/a\nb", "ftp://x.org/a",
            "//evil.example/a", "https://x.org/a b", "https://" + "a" * 2000]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_that_is_not_http_is_refused_however_it_comes_in(client: TestClient, admin: dict[str, str],
                                                               service: QAService, url: str) -> None:
    # A JSON document's own url was stored and sent back as `document_url` by /ask (issue 26).
    inner = json.dumps({"title": "Ferry", "text": "The ferry runs daily.", "url": url})
    for way in ({"text": "The ferry runs daily.", "url": url}, {"text": inner, "format": "json"}):
        r = client.put("/documents/ferry", json=way, headers=admin)
        assert r.status_code == 422 and "url" in r.json()["error"]["message"], (way, r.text)
    r = client.post("/documents/batch", json={"documents": [{"id": "ferry", "text": inner, "format": "json"}]},
                    headers=admin)
    assert r.json()["failed"] == 1 and "url" in r.json()["failures"][0]["message"]
    with pytest.raises(BadInput, match="url"):
        service.put(DocumentInput(id="ferry", text="The ferry runs daily.", url=url))
    assert client.get("/documents/ferry").status_code == 404


@pytest.mark.parametrize("url", BAD_URLS[:3])
def test_a_page_that_names_itself_by_a_bad_url_is_stored_without_it(client: TestClient, admin: dict[str, str],
                                                                    url: str) -> None:
    page = (f'<html><head><link rel="canonical" href="{url}"><title>Ferry</title></head><body><article>'
            "<p>The ferry runs daily from the harbour, weather permitting.</p></article></body></html>")
    assert client.put("/documents/ferry", json={"text": page, "format": "html"}, headers=admin).status_code == 201
    assert client.get("/documents/ferry").json()["url"] is None


def test_a_bad_url_stored_before_the_rule_is_never_sent(client: TestClient, service: QAService,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as before:
        before.setattr(ingestion, "check_url", lambda url: url)
        service.put(DocumentInput(id="old", text="The ferry runs daily.", url="javascript:alert(17)"))
    assert client.get("/documents/old").json()["url"] is None
    assert {d["id"]: d["url"] for d in client.get("/documents").json()}["old"] is None
    answer = client.post("/ask", json={"question": "when does the ferry run?", "document_id": "old"}).json()
    assert answer["passages"] and all(p["document_url"] is None for p in answer["passages"])


def test_a_decomposed_id_is_the_same_document(client: TestClient, admin: dict[str, str]) -> None:
    composed, decomposed = "news/café", unicodedata.normalize("NFD", "news/café")
    body = {"text": "The cafe opened."}
    assert client.put(f"/documents/{quote(composed)}", json=body, headers=admin).status_code == 201
    assert client.put(f"/documents/{quote(decomposed)}", json=body, headers=admin).status_code == 200
    assert client.post("/documents", json={**body, "id": decomposed}, headers=admin).status_code == 200
    assert [d["id"] for d in client.get("/documents").json()].count(composed) == 1
    assert client.get(f"/documents/{quote(decomposed)}").json()["id"] == composed
    assert client.get("/suggestions", params={"document_id": decomposed}).status_code == 200
    r = client.post("/ask", json={"question": "when did the cafe open?", "document_id": decomposed})
    assert r.json()["passages"][0]["document_id"] == composed


@pytest.mark.parametrize("bad", ["a\u200bb", "\u200b", "news/\u2060/x", "news/\u200b\u200b", "a\u00adb",
                                 "a\U000e0041b"])
def test_ids_with_invisible_characters_are_422(client: TestClient, admin: dict[str, str], bad: str) -> None:
    # Each was accepted as a document distinct from its visible twin (issue 26).
    assert client.put(f"/documents/{quote(bad)}", json={"text": "Some text."}, headers=admin).status_code == 422
    r = client.post("/documents", json={"id": bad, "text": "Some text."}, headers=admin)
    assert r.status_code == 422 and "id" in r.json()["error"]["message"]
    assert client.get("/documents").json() and all(d["id"] != bad for d in client.get("/documents").json())
