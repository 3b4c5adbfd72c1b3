from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.answer.byline import MetadataPassage, asks_for
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from tests.conftest import ROOT

PAGE = (ROOT / "tests" / "data" / "pages" / "comments.html").read_text()


@pytest.mark.parametrize("question,kind", [
    ("who wrote this?", "author"), ("Who wrote this article?", "author"), ("who is the author", "author"),
    ("Who’s the reporter of this story?", "author"), ("what is the byline?", "author"),
    ("when was this published?", "published"), ("When was the article written?", "published"),
    ("what is the publication date?", "published"), ("how old is this story?", "published"),
    ("who wrote the contract?", None), ("when was the contract awarded?", None), ("should the mayor resign?", None),
    ("who is the author of the report on the quay?", None),
])
def test_which_questions_ask_for_the_page_metadata(question: str, kind: str | None) -> None:
    assert asks_for(question) == kind


def test_byline_and_date_answer_from_metadata(service: QAService) -> None:
    service.put(DocumentInput(id="news/mayor", text=PAGE, format="html"))
    who = service.ask("who wrote this?", "news/mayor").answer
    assert isinstance(who, MetadataPassage) and who.source == "metadata"
    assert who.text == "Written by Priya Lawson, according to the page's metadata (not a sentence of the article)."
    assert who.highlight is not None and who.text[who.highlight[0]:who.highlight[1]] == "Priya Lawson"
    when = service.ask("When was this published?", "news/mayor").answer
    assert when is not None and when.text.startswith("Published on 4 March 2026, according to the page's metadata")


def test_without_metadata_or_article_the_question_is_searched_as_usual(service: QAService) -> None:
    service.put(DocumentInput(id="plain", text="The ferry runs daily. It was repaired in May."))
    assert not isinstance(service.ask("who wrote this?", "plain").answer, MetadataPassage)
    service.put(DocumentInput(id="news/mayor", text=PAGE, format="html"))
    assert not isinstance(service.ask("who wrote this?").answer, MetadataPassage)  # which article?


def test_the_api_says_where_the_answer_comes_from(client: TestClient, admin: dict[str, str]) -> None:
    client.put("/documents/news/mayor", json={"text": PAGE, "format": "html"}, headers=admin)
    body = client.post("/ask", json={"question": "who wrote this?", "document_id": "news/mayor"}).json()
    assert body["answer"]["source"] == "metadata" and "Priya Lawson" in body["answer"]["text"]
    other = client.post("/ask", json={"question": "who is the mayor?", "document_id": "news/mayor"}).json()
    assert all(p["source"] == "sentence" for p in other["passages"])
