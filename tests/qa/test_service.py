from pathlib import Path

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder
from index.faiss.vectors import INDEX_FILE
from index.sqlite.store import SqliteStore
from index.types import NewDocument, NewSentence
from qa.errors import BadInput, Conflict, DocumentNotFound
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService, encoder_kind
from qa.settings import Settings
from tests.conftest import SEED_ID

DOC = DocumentInput(id="d1", title="Harbour news", text="The harbour opened in 1990. Ships dock here daily.")


def test_seeds_are_ingested_once(service: QAService, settings: Settings) -> None:
    assert [d.id for d in service.documents()] == [SEED_ID]
    service.delete(SEED_ID)
    service.close()
    again = QAService.open(settings, FakeEmbedder())
    assert again.documents() == []  # a deleted seed does not come back on restart
    again.close()


def test_add_replace_delete_are_incremental(service: QAService) -> None:
    before = service.backend.vector_count()
    service.put(DOC)
    assert service.backend.vector_count() == before + 2
    assert service.put(DOC).changed is False  # identical re-ingest: no duplicates
    assert service.backend.vector_count() == before + 2
    with pytest.raises(Conflict):
        service.put(DocumentInput(id="d1", text="Other text."), replace_existing=False)
    service.put(DocumentInput(id="d1", text="Only one sentence now."))
    assert service.backend.vector_count() == before + 1
    service.delete("d1")
    assert service.backend.vector_count() == before
    assert all(p.document_id != "d1" for p in service.ask("harbour ships", top_k=50).passages)


def test_restart_keeps_everything(settings: Settings, service: QAService) -> None:
    service.put(DOC)
    service.close()
    reopened = QAService.open(settings, FakeEmbedder())
    assert {d.id for d in reopened.documents()} == {SEED_ID, "d1"}
    assert reopened.ask("When did the harbour open?", "d1").passages[0].text == "The harbour opened in 1990."
    reopened.close()


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_index_is_rebuilt_from_the_store(settings: Settings, service: QAService, damage: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    service.put(DOC)
    count = service.backend.vector_count()
    service.close()
    path: Path = settings.data_dir / INDEX_FILE
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.unlink()
    reopened = QAService.open(settings, FakeEmbedder())
    assert reopened.backend.vector_count() == count
    assert "rebuilding the vector index" in caplog.text
    reopened.close()


def test_passages_carry_exact_offsets_and_context(service: QAService) -> None:
    result = service.ask("What did Brokenshire say?", SEED_ID, top_k=5)
    text = service.get(SEED_ID).text
    for p in result.passages:
        assert text[p.start:p.end] == p.text
        assert p.text in p.context and p.document_title


def test_abstains_on_names_the_article_never_mentions(service: QAService) -> None:
    assert service.ask("What is the population of Paris?", SEED_ID).answer is None


def test_unknown_document_and_empty_question(service: QAService) -> None:
    with pytest.raises(DocumentNotFound):
        service.ask("anything", "nope")
    with pytest.raises(BadInput):
        service.ask("   ")


def test_concurrent_questions_and_writes_stay_consistent(service: QAService) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int) -> None:
        service.put(DocumentInput(id=f"c{i % 3}", text=f"Ferry number {i} left the harbour at dawn."))

    def ask(i: int) -> int:
        return len(service.ask("When did the ferry leave the harbour?", top_k=5).passages)

    with ThreadPoolExecutor(8) as pool:
        writes = [pool.submit(write, i) for i in range(30)]
        asks = [pool.submit(ask, i) for i in range(60)]
        assert all(f.result() > 0 for f in asks)
        for f in writes:
            f.result()
    # Three ids, one sentence each: every replace removed what it replaced.
    assert service.backend.count_sentences() == service.backend.vector_count()
    assert sum(d.id.startswith("c") for d in service.documents()) == 3


def test_concurrent_conflicting_posts_store_one_version(service: QAService) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> str:
        try:
            service.put(DocumentInput(id="same", text=f"Version {i} of the story."), replace_existing=False)
            return "ok"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(post, range(12)))
    assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 11


def test_repeated_questions_are_cached_until_a_document_changes(service: QAService) -> None:
    first = service.ask("What did Brokenshire say?", top_k=2)
    again = service.ask("what did  Brokenshire say?", top_k=2)
    assert service.answerer.cache.hits == 1 and again.passages == first.passages
    assert again.conversation_id != first.conversation_id  # each reader still gets a conversation
    service.put(DOC)  # any write moves the store generation on: no stale answers
    service.ask("What did Brokenshire say?", top_k=2)
    assert service.answerer.cache.hits == 1
    follow = service.ask("What did he say?", conversation_id=first.conversation_id)
    assert follow.passages  # follow-ups bypass the cache


def test_another_model_re_embeds_every_stored_sentence(settings: Settings, service: QAService) -> None:
    service.put(DOC)
    count = service.backend.count_sentences()
    service.close()
    other = QAService.open(settings, FakeEmbedder(dim=64))
    assert other.embedder.dim == 64 and other.backend.vector_count() == count
    assert other.backend.get_meta("vector_model") == "fake-hash-64"
    assert other.ask("When did the harbour open?", "d1").passages[0].text == "The harbour opened in 1990."
    other.close()


def test_auto_encoder_is_int8_unless_the_store_holds_full_precision_vectors(tmp_path: Path) -> None:
    adapted = Settings(data_dir=tmp_path, seeds_dir=tmp_path / "none", embedder="auto")
    settings = adapted.model_copy(update={"encoder_adapter": "none"})  # the plain model
    assert encoder_kind(settings) == "onnx-int8"  # a new store
    for stored, kind in [(settings.model, "onnx"), (settings.model + "+int8", "onnx-int8"),
                         ("another-model", "onnx-int8")]:
        store = SqliteStore(settings.database_path)
        store.set_meta("vector_model", stored)
        store.close()
        assert encoder_kind(settings) == kind
        assert encoder_kind(adapted) == "onnx-int8"  # the adapted encoder's vectors are never the plain model's
    assert encoder_kind(settings.model_copy(update={"embedder": "sentence-transformers"})) == "sentence-transformers"
    (tmp_path / "garbage").mkdir()
    junk = Settings(data_dir=tmp_path / "garbage", seeds_dir=tmp_path / "none", embedder="auto")
    junk.database_path.write_bytes(b"not a database")
    assert encoder_kind(junk) == "onnx-int8"  # opening the store reports the damage, not this


def test_the_title_is_indexed_with_every_sentence_and_old_indexes_are_redone(
        settings: Settings, service: QAService) -> None:
    service.put(DOC)
    assert len(service.backend.lexical_search("harbour news", 5, "d1")) == 2  # "Ships dock..." via the title
    assert [p.text for p in service.ask("ships", "d1").passages][0] == "Ships dock here daily."  # text as written
    # A store written by an earlier version: sentences indexed under their own text only.
    prepared = service.backend.get_document("d1")
    service.backend.put_document(*_untitled(prepared.text))
    service.backend.set_meta("ingest_recipe", "older")
    assert len(service.backend.lexical_search("harbour news", 5, "d1")) == 1
    service.close()
    again = QAService.open(settings, FakeEmbedder())
    assert len(again.backend.lexical_search("harbour news", 5, "d1")) == 2
    assert again.backend.get_meta("ingest_recipe") != "older"
    again.close()


def _untitled(text: str) -> tuple[NewDocument, np.ndarray]:
    sentences = [NewSentence(0, 27, "The harbour opened in 1990.", "The harbour opened in 1990.", "x"),
                 NewSentence(28, 50, "Ships dock here daily.", "Ships dock here daily.", "x")]
    doc = NewDocument(id="d1", title="Harbour news", text=text, checksum="old", sentences=sentences)
    return doc, np.ones((2, FakeEmbedder().dim), dtype=np.float32)


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.texts += texts
        return super().encode(texts, batch_size)


def test_a_new_recipe_that_changes_only_the_lexical_side_embeds_nothing_again(
        settings: Settings, service: QAService) -> None:
    service.put(DOC)
    service.backend.set_meta("ingest_recipe", "older")
    service.close()
    counting = CountingEmbedder()
    again = QAService.open(settings, counting)
    assert again.backend.get_meta("ingest_recipe") != "older"  # prepared again ...
    assert "Ships dock here daily." not in counting.texts  # ... from the vectors it had
    assert again.ask("ships", "d1").passages[0].text == "Ships dock here daily."
    again.close()


def test_a_database_from_before_suggestions_gets_them_when_opened(service: QAService, settings: Settings) -> None:
    service.close()
    import sqlite3

    conn = sqlite3.connect(settings.database_path)
    conn.execute("ALTER TABLE documents DROP COLUMN suggestions")
    conn.execute("UPDATE meta SET value = 'lexical-title-v1' WHERE key = 'ingest_recipe'")
    conn.commit()
    conn.close()
    settings.database_path.with_name(settings.database_path.name + ".sha256").unlink()  # edited by hand
    again = QAService.open(settings, FakeEmbedder())
    assert again.get(SEED_ID).suggestions == ["What did James Brokenshire say?", "Who is Theresa May?",
                                              "Who is Natacha Bouchart?"]
    again.close()


def test_control_characters_in_a_question_are_read_as_spaces(service: QAService) -> None:
    result = service.ask("What did\x00 Brokenshire\x1f say?", SEED_ID)
    assert "\x00" not in result.question and "Brokenshire" in result.question


def test_a_restart_reads_the_word_vectors_rather_than_embedding_them_again(settings: Settings) -> None:
    class Counting(FakeEmbedder):
        texts = 0

        def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
            Counting.texts += len(texts)
            return super().encode(texts, batch_size)

    first = QAService.open(settings, Counting())
    first.put(DocumentInput(text="The harbour bridge closes for repairs in March. Ferries run instead.", id="h"))
    first.close()
    assert Counting.texts > 0 and (settings.data_dir / "words.npz").exists()
    Counting.texts = 0
    again = QAService.open(settings, Counting())
    again.close()  # waits for the background learning of the stored words
    # The article's words were read back, not embedded again ("ferries" included).
    assert again.relatedness.best(["ferries"], ["ferries"]) == pytest.approx([1.0], abs=1e-3)
    assert again.relatedness.embedded == 0 and Counting.texts == 0


def test_word_vectors_that_cannot_be_kept_cost_only_a_warning(settings: Settings,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    (settings.data_dir / "words.npz").mkdir(parents=True)  # where the file would go: not writable as one
    service = QAService.open(settings, FakeEmbedder())
    service.put(DocumentInput(text="The harbour bridge closes for repairs in March.", id="h"))
    with caplog.at_level("WARNING", logger="qa.service"):
        service.close()
    assert "word vectors not kept" in caplog.text
