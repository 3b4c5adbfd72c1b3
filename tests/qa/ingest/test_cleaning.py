import json

import pytest

from qa.errors import BadInput
from qa.ingest.cleaning import byline_author, clean_document, sniff_format


def test_text_drops_repeated_headline_and_boilerplate() -> None:
    raw = ("Big news today\n\nBig news today\n\nThe council met. It voted.\n\n"
           "This website is best viewed using the latest versions of web browsers.")
    c = clean_document(raw)
    assert c.title == "Big news today"
    assert c.text == "The council met. It voted."


def test_repeated_paragraph_kept_once_and_wrapping_joined() -> None:
    c = clean_document("Title\n\nA line that\nwraps here.\n\nA line that\nwraps here.")
    assert c.text == "A line that wraps here."


def test_html_strips_tags_scripts_entities_and_finds_title() -> None:
    raw = ("<html><head><title>Page T</title><script>alert(1)</script></head><body>"
           "<h1>Real headline</h1><p>Fish &amp; chips cost &pound;5.</p><nav>Home | About</nav>"
           "<p>Second <b>para</b>.</p></body></html>")
    c = clean_document(raw, "html")
    assert c.title == "Real headline"
    assert c.text == "Fish & chips cost £5.\n\nSecond para."
    assert "alert" not in c.text and "Home" not in c.text


def test_markdown_and_json() -> None:
    md = clean_document("# The title\n\nSome **bold** and a [link](http://x.org).", "md")
    assert (md.title, md.text) == ("The title", "Some bold and a link.")
    js = clean_document(json.dumps({"title": "T", "text": "Body text here."}), "json")
    assert (js.title, js.text) == ("T", "Body text here.")


@pytest.mark.parametrize("raw,fmt", [("", "txt"), ("   \n\n  ", "txt"), ("[1]", "json"), ("{}", "json"),
                                     ("x", "pdf")])
def test_bad_documents_raise_bad_input(raw: str, fmt: str) -> None:
    with pytest.raises(BadInput):
        clean_document(raw, fmt)


def test_a_lone_headline_like_line_is_kept_as_text() -> None:
    c = clean_document("Breaking: storm hits coast")
    assert c.text == "Breaking: storm hits coast" and c.title == "Breaking: storm hits coast"


def test_a_json_document_nested_too_deeply_is_bad_input() -> None:
    with pytest.raises(BadInput, match="nested too deeply"):
        clean_document("[" * 100_000, "json", None)


@pytest.mark.parametrize("raw,expected", [
    ("<!DOCTYPE html><html><body><h1>T</h1><p>Text.</p></body></html>", "html"),
    ("\n  <article><h1>Mill</h1><p>The mill closed in 1870.</p></article>", "html"),
    ("<!-- saved page -->\n<html><p>x</p></html>", "html"),
    ("Intro line.\n\n<p>One.</p>\n<p>Two.</p>", "html"),
    ("# Harbour\n\nThe harbour opened in 1990.", "md"),
    ("The harbour [reopened](https://x.org) on Monday.", "md"),
    ("Changes:\n\n- fees rise\n- the quay reopens", "md"),
    ("It was **not** a drill.", "md"),
    ('{"title": "T", "text": "Body text here."}', "json"),
    ("The harbour opened in 1990. Ships dock daily.", "txt"),
    ("1990. The year the harbour opened.", "txt"),  # an ordered list to CommonMark, plain text to a writer
    ("He said *no* and a <p> tag is a paragraph in HTML.", "txt"),
    ('{"no": "text field"}', "txt"),
])
def test_the_format_is_sniffed_when_not_given(raw: str, expected: str) -> None:
    assert sniff_format(raw) == expected


def test_a_document_without_a_format_is_read_as_what_it_is() -> None:
    page = clean_document("<html><head><title>Mill</title></head><body><p>The mill closed in 1870.</p></body></html>",
                          None)
    assert page.text == "The mill closed in 1870."
    md = clean_document("# Harbour\n\nThe harbour **opened** in 1990.", None)
    assert (md.title, md.text) == ("Harbour", "The harbour opened in 1990.")


@pytest.mark.parametrize("line,author", [
    ("By Jane Doe", "Jane Doe"), ("By Jane Doe, Transport correspondent", "Jane Doe"),
    ("By Jane Doe and Ali Khan | 3 March 2026", "Jane Doe and Ali Khan"), ("Words by Ali Khan", "Ali Khan"),
    ("By Ursula von der Leyen", "Ursula von der Leyen"), ("By Jane Doe \u00b7 Updated 10:42", "Jane Doe"),
    ("by the way it rained", None), ("By Monday, the quay reopens.", None), ("By 2030 emissions fall", None),
    ("By train it takes two hours", None),
])
def test_a_byline_line_is_read_for_its_author(line: str, author: str | None) -> None:
    assert byline_author(line) == author


def test_a_byline_in_plain_text_is_metadata_not_text_nor_the_title() -> None:
    c = clean_document("By Jane Doe\n\nThe harbour reopened on Monday. It cost 4 million euros.")
    assert c.text == "The harbour reopened on Monday. It cost 4 million euros."
    assert c.metadata == {"author": "Jane Doe"} and c.title != "By Jane Doe"
    # Deep in the article, a short "By ..." paragraph is left alone.
    body = "\n\n".join(f"Paragraph {i} of the story." for i in range(4))
    assert "By Jane Doe" in clean_document(f"{body}\n\nBy Jane Doe").text
