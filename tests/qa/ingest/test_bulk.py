from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder, Matrix
from index.faiss.vectors import VectorIndex
from index.sqlite.store import SqliteStore
from qa.ingest.archive import from_jsonl
from qa.ingest.bulk import BulkIngest, Entry, Report, embed_sorted
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings


def entries(*docs: DocumentInput) -> list[Entry]:
    return [Entry(i + 1, d.id or f"item {i + 1}", d) for i, d in enumerate(docs)]


def article(n: int, sentences: int = 3) -> DocumentInput:
    return DocumentInput(id=f"a{n}", title=f"Article {n}",
                         text=" ".join(f"Story {n} reports fact number {k} about town {n}." for k in range(sentences)))


class Refusing(FakeEmbedder):
    """Refuses any batch holding a given word, as an encoder might refuse one text."""

    def __init__(self, word: str) -> None:
        super().__init__()
        self.word = word
        self.calls: list[int] = []

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        self.calls.append(len(texts))
        if any(self.word in t for t in texts):
            raise ValueError(f"cannot encode {self.word!r}")
        return super().encode(texts, batch_size)


def test_stores_every_document_with_the_vectors_put_would_give(service: QAService) -> None:
    before = service.backend.vector_count()
    report = BulkIngest(service, batch_sentences=4).run(entries(*(article(n) for n in range(5))))
    assert (report.added, report.failed, report.sentences) == (5, 0, 15)
    assert service.backend.vector_count() == before + 15
    stored, vectors = service.backend.embedded("a3")
    assert np.allclose(vectors, FakeEmbedder().encode(stored))  # rows stay with their sentences after sorting
    assert service.ask("fact number 2 about town 3", top_k=1).passages[0].document_id == "a3"


def test_run_again_skips_what_is_stored(service: QAService) -> None:
    docs = [article(n) for n in range(4)]
    BulkIngest(service).run(entries(*docs[:2]))  # as if interrupted after two
    generation = service.backend.generation()
    report = BulkIngest(service).run(entries(*docs))
    assert (report.added, report.unchanged, report.sentences) == (2, 2, 6)
    assert service.backend.generation() == generation + 1  # one transaction for the two new ones
    assert BulkIngest(service).run(entries(*docs)).unchanged == 4


def test_a_bad_document_is_named_and_the_others_are_stored(service: QAService) -> None:
    bad = [DocumentInput(id="a1", text="Other content under a stored id."),
           DocumentInput(id="../bad", text="Fine text."),
           DocumentInput(id="empty", text="<p></p>", format="html")]
    BulkIngest(service).run(entries(article(1)))
    report = BulkIngest(service).run([*entries(*bad), Entry(4, "line 4", error="not a JSON object"),
                                      *entries(article(2))])
    assert (report.added, report.failed) == (1, 4)
    assert [(f.position, f.name) for f in report.failures] == [(1, "a1"), (2, "../bad"), (3, "empty"), (4, "line 4")]
    assert "exists with other content" in report.failures[0].message
    assert service.backend.has_document("a2")
    replaced = BulkIngest(service, replace_existing=True).run(entries(bad[0]))
    assert replaced.replaced == 1 and service.get("a1").text == bad[0].text


def test_a_document_the_encoder_refuses_is_named(settings: Settings) -> None:
    service = QAService.open(settings, Refusing("poison"))
    try:
        docs = [article(1), DocumentInput(id="p", text="A poison pill. Another sentence."), article(2)]
        report = BulkIngest(service).run(entries(*docs))
    finally:
        service.close()
    assert (report.added, report.failed) == (2, 1)
    assert report.failures[0].name == "p" and "poison" in report.failures[0].message


def test_the_same_id_twice_in_one_run(service: QAService) -> None:
    first, second = article(1), DocumentInput(id="a1", text="A later version of the story.")
    report = BulkIngest(service, replace_existing=True).run(entries(first, second, first))
    assert (report.added, report.replaced) == (1, 2)
    assert service.get("a1").text == first.text


def test_batches_are_bounded_and_sorted_by_length(settings: Settings) -> None:
    embedder = Refusing("never")
    service = QAService.open(settings, embedder)
    try:
        assert service.words_learned(timeout=30)  # the start's own encoder calls are not the bulk's
        embedder.calls.clear()
        BulkIngest(service, batch_sentences=10, learn_words=False).run(entries(*(article(n, 4) for n in range(9))))
        texts = ["a b c d e f", "a", "a b c", "a"]
        assert np.allclose(embed_sorted(service, texts), FakeEmbedder().encode(texts))
    finally:
        service.close()
    assert max(embedder.calls[:-1]) <= 12 and sum(embedder.calls[:-1]) == 36  # at most ~10 sentences wait


def test_vector_file_is_saved_once_at_the_end_and_loads(service: QAService, settings: Settings) -> None:
    progress: list[int] = []

    def seen(report: Report) -> None:
        progress.append(report.done)

    BulkIngest(service, batch_sentences=3, on_progress=seen).run(entries(*(article(n) for n in range(3))))
    assert progress[-1] == 3 and progress == sorted(progress)
    service.close()
    store = SqliteStore(settings.database_path)
    try:  # the file matches the store: no rebuild at the next start
        VectorIndex.load(settings.data_dir, "fake-hash-256", 256, store.generation())
    finally:
        store.close()


def test_streams_a_large_input_without_reading_it_all(service: QAService) -> None:
    read = 0

    def lines() -> Iterator[str]:
        nonlocal read
        for n in range(50):
            read += 1
            yield f'{{"id": "s{n}", "text": "Line {n} says one thing. And another."}}\n'

    seen: list[int] = []
    BulkIngest(service, batch_sentences=8, on_progress=lambda r: seen.append(read)).run(from_jsonl(lines(), "x"))
    assert seen[0] < 10 and service.backend.has_document("s49")  # stored while the input was still being read


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No seeds: counts and generations here are the test's own.
    from tests.conftest import NEUTRAL

    return Settings(data_dir=tmp_path / "data", seeds_dir=tmp_path / "none", embedder="fake",
                    answerability_model=NEUTRAL)


def test_a_run_that_changes_nothing_leaves_the_generation(service: QAService) -> None:
    # A re-sent batch or a re-run `qa ingest` ("0 added, 300 unchanged") made every worker reload
    # its whole index and drop its answer cache (issue 26).
    docs = [article(n) for n in range(4)]
    BulkIngest(service, batch_sentences=4).run(entries(*docs))
    generation = service.backend.generation()
    for _ in range(2):
        report = BulkIngest(service, batch_sentences=4).run(entries(*docs))
        assert report.unchanged == 4 and service.backend.generation() == generation
    assert service.backend.put_documents([]) == [] and service.backend.generation() == generation


def test_batches_left_unsaved_are_saved_even_when_the_last_changes_nothing(service: QAService) -> None:
    BulkIngest(service).run(entries(article(9)))
    generation = service.backend.generation()
    # Two new documents stored in batches that leave the vector file for later, then one unchanged.
    report = BulkIngest(service, batch_sentences=1).run(entries(article(1), article(2), article(9)))
    assert (report.added, report.unchanged) == (2, 1) and service.backend.generation() == generation + 2
    saved = VectorIndex.load(service.settings.data_dir, service.embedder.name,
                             service.embedder.dim, service.backend.generation())
    assert len(saved) == service.backend.vector_count()
