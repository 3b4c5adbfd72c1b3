"""Hypothesis properties of the text pipeline."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.embedders.base import FakeEmbedder
from qa.errors import BadInput
from qa.ingest.cleaning import clean_document
from qa.ingest.ingestion import DocumentInput
from qa.ingest.segmentation import Segmenter
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import NEUTRAL

SEGMENTER = Segmenter()
words = st.text(alphabet=string.ascii_letters + "0123456789$£.,'\"-é", min_size=1, max_size=12)
sentence = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(words, min_size=1, max_size=12),
                     st.sampled_from([".", "?", "!", "", '."', " (Mr. X)."]))
paragraph = st.lists(sentence, min_size=1, max_size=5).map(" ".join)
article = st.lists(paragraph, min_size=1, max_size=5).map("\n\n".join)


@given(st.text(max_size=400) | article)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_offsets_are_exact_and_nothing_but_space_is_lost(text: str) -> None:
    spans = SEGMENTER.split(text)
    for s in spans:
        assert text[s.start:s.end] == s.text and s.text.strip() == s.text and s.text
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    gaps = [text[:spans[0].start] if spans else text] + [text[a.end:b.start] for a, b in
                                                         zip(spans, spans[1:], strict=False)]
    gaps.append(text[spans[-1].end:] if spans else "")
    assert "".join(gaps).strip() == ""


@given(article)
@settings(max_examples=100, deadline=None, derandomize=True)
def test_cleaning_never_invents_text_and_keeps_the_body(text: str) -> None:
    try:
        cleaned = clean_document(text)
    except BadInput:
        return
    assert set(cleaned.text.split()) <= set(text.split())
    # Only the headline (and its repeats) may leave the body; every other later paragraph stays.
    later = [" ".join(p.split()) for p in text.split("\n\n")[1:] if p.strip()]
    later = [p for p in later if p != cleaned.title]
    assert all(p in cleaned.text for p in later)


@given(st.lists(article, min_size=1, max_size=3))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_ingest_then_delete_leaves_the_index_as_before(tmp_path_factory, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("prop"), seeds_dir=tmp_path_factory.mktemp("none"),
                         embedder="fake", answerability_model=NEUTRAL)
    service = QAService.open(settings_, FakeEmbedder())
    service.put(DocumentInput(id="base", text="The harbour opened in 1990. Ships dock daily."))
    before = (service.backend.vector_count(), service.backend.count_sentences(), service.ask("harbour ships").passages)
    ids = []
    for i, text in enumerate(texts):
        try:
            ids.append(service.put(DocumentInput(id=f"p{i}", text=text)).document.id)
        except BadInput:
            continue
    for doc_id in ids:
        service.delete(doc_id)
    after = (service.backend.vector_count(), service.backend.count_sentences(), service.ask("harbour ships").passages)
    service.close()
    assert after == before
