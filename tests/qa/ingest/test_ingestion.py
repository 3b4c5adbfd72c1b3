"""From a raw document to what is stored: exact offsets, the title indexed but not embedded, a
content-derived id, the caller's word over the page's, and which files are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import BadInput
from qa.ingest.ingestion import DocumentInput, document_id_for, prepare, read_file, survey
from qa.ingest.segmentation import Segmenter

SEGMENTER = Segmenter()
ARTICLE = "The harbour reopened on Monday. Ferries sail twice a day.\n\nThe mayor was pleased."
sentence = st.lists(st.sampled_from("harbour ferry mayor rain bridge council spoke closed".split()),
                    min_size=1, max_size=8).map(lambda ws: " ".join(ws).capitalize() + ".")
article = st.lists(sentence, min_size=1, max_size=6).map(" ".join)


@given(article, st.sampled_from(["", "Harbour news"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_sentence_is_an_exact_slice_indexed_with_the_title(text: str, title: str) -> None:
    doc = prepare(DocumentInput(text=text, title=title or None), SEGMENTER)
    assert doc.sentences and (doc.title == title or not title)  # untitled: the cleaner may find one
    for s in doc.sentences:
        assert doc.text[s.start:s.end] == s.text
        assert s.embed_text == s.text  # the title would blur one article's sentences together
        assert s.index_text == f"{s.text} {doc.title}".strip()
    starts = [s.start for s in doc.sentences]
    assert starts == sorted(starts)


def test_the_same_text_without_an_id_is_the_same_document() -> None:
    a = prepare(DocumentInput(text=ARTICLE), SEGMENTER)
    b = prepare(DocumentInput(text=ARTICLE), SEGMENTER)
    c = prepare(DocumentInput(text=ARTICLE + " It rained."), SEGMENTER)
    assert a.id == b.id == document_id_for(a.text) and a.id != c.id
    assert a.checksum == b.checksum != c.checksum


def test_the_checksum_covers_the_title() -> None:
    plain = prepare(DocumentInput(text=ARTICLE, id="x"), SEGMENTER)
    titled = prepare(DocumentInput(text=ARTICLE, id="x", title="Harbour"), SEGMENTER)
    assert plain.checksum != titled.checksum and plain.text == titled.text


@pytest.mark.parametrize("bad", ["a/../b", "../x", "a//b", "with?query", " lead"])
def test_an_invalid_id_is_refused(bad: str) -> None:
    with pytest.raises(BadInput, match="document id"):
        prepare(DocumentInput(text=ARTICLE, id=bad), SEGMENTER)


def test_the_callers_url_and_metadata_win_over_the_pages() -> None:
    page = ('<html><head><link rel="canonical" href="https://page.example/a"><title>T</title>'
            '<meta name="author" content="Page Author"></head><body><article><p>' + ARTICLE +
            "</p></article></body></html>")
    own = prepare(DocumentInput(text=page, format="html"), SEGMENTER)
    given_ = prepare(DocumentInput(text=page, format="html", url="https://mine.example/a",
                                   metadata={"author": "Desk"}), SEGMENTER)
    assert own.url == "https://page.example/a" and given_.url == "https://mine.example/a"
    assert given_.metadata["author"] == "Desk"


def test_suggested_questions_come_from_the_article() -> None:
    doc = prepare(DocumentInput(text=ARTICLE, id="x"), SEGMENTER)
    assert all(isinstance(q, str) and q.endswith("?") for q in doc.suggestions)


def test_files_are_read_by_suffix_and_named_by_stem(tmp_path: Path) -> None:
    (tmp_path / "Calais officials!.md").write_text("# Title\n\nBody text.")
    doc = read_file(tmp_path / "Calais officials!.md")
    assert (doc.id, doc.format) == ("Calais-officials", "md")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    with pytest.raises(BadInput, match="unsupported file type"):
        read_file(tmp_path / "scan.pdf")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(BadInput, match="UTF-8"):
        read_file(tmp_path / "latin1.txt")


def test_a_folder_is_surveyed_with_a_reason_for_every_skipped_file(tmp_path: Path) -> None:
    for name in ("a.txt", "b.html", ".hidden.txt", "notes.pdf", "sub/c.json", ".git/config"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found, skipped = survey([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.txt", "b.html", "sub/c.json"]
    reasons = {p.relative_to(tmp_path).as_posix(): why for p, why in skipped}
    assert reasons[".hidden.txt"] == reasons[".git/config"] == "hidden"
    assert reasons["notes.pdf"].startswith("unsupported file type (.pdf)")
    with pytest.raises(BadInput, match="no such file"):
        survey([tmp_path / "missing"])
