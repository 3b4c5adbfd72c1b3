"""Saved news pages (tests/data/pages): the article's sentences all kept, none of the clutter,
and what the page says about itself read into the document."""

from __future__ import annotations

import json

import pytest

from qa.errors import BadInput
from qa.ingest.cleaning import clean_document
from qa.ingest.ingestion import DocumentInput, prepare
from qa.ingest.segmentation import Segmenter
from tests.conftest import ROOT

PAGES = ROOT / "tests" / "data" / "pages"
EXPECTED: dict[str, dict[str, object]] = json.loads((PAGES / "expected.json").read_text())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_five_layouts_are_covered() -> None:
    assert set(EXPECTED) == {"comments.html", "liveblog.html", "gallery.html", "paywall.html", "amp.html"}


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_keeps_the_article_and_drops_the_clutter(page: str) -> None:
    wanted = EXPECTED[page]
    cleaned = clean_document((PAGES / page).read_text(), "html")
    body = _flat(cleaned.text)
    assert [s for s in wanted["article"] if _flat(s) not in body] == []  # type: ignore[attr-defined]
    assert [c for c in wanted["clutter"] if c in body] == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_metadata_is_read(page: str) -> None:
    wanted = EXPECTED[page]
    cleaned = clean_document((PAGES / page).read_text(), "html")
    assert cleaned.title == wanted["title"]
    assert cleaned.url == wanted["url"]
    assert cleaned.metadata["author"] == wanted["author"]
    assert cleaned.metadata["published"] == wanted["date"]


def test_offsets_point_into_the_stored_text() -> None:
    doc = prepare(DocumentInput(text=(PAGES / "comments.html").read_text(), format="html"), Segmenter())
    assert doc.sentences and all(doc.text[s.start:s.end] == s.text for s in doc.sentences)
    assert not any("jimbo77" in s.text for s in doc.sentences)
    assert doc.url == EXPECTED["comments.html"]["url"] and doc.metadata["author"] == "Priya Lawson"


def test_callers_fields_win_over_the_pages() -> None:
    doc = prepare(DocumentInput(text=(PAGES / "amp.html").read_text(), format="html", url="https://mine.example/a",
                                metadata={"author": "Desk"}), Segmenter())
    assert doc.url == "https://mine.example/a" and doc.metadata["author"] == "Desk"
    assert doc.metadata["published"] == "2026-08-02"


def test_a_small_page_keeps_its_paragraphs_apart() -> None:
    cleaned = clean_document("<h1>Mill</h1><p>The mill closed in <b>1870</b>.</p><ul><li>One fact.</li>"
                             "<li>Another fact.</li></ul>", "html")
    assert cleaned.title == "Mill"
    assert cleaned.text == "The mill closed in 1870.\n\nOne fact.\n\nAnother fact."


@pytest.mark.parametrize("raw", ["<script>x()</script>", "<html><body></body></html>", "<<<>>>",
                                 "<html><body><img src=x></body></html>"])
def test_a_page_without_an_article_is_bad_input(raw: str) -> None:
    with pytest.raises(BadInput):
        clean_document(raw, "html")


def test_json_document_keeps_its_url_and_byline() -> None:
    raw = json.dumps({"title": "T", "text": "Body text here.", "url": "https://news.example/t", "author": "A. Writer",
                      "published": "2026-01-02"})
    cleaned = clean_document(raw, "json")
    assert cleaned.url == "https://news.example/t"
    assert cleaned.metadata == {"author": "A. Writer", "published": "2026-01-02"}
