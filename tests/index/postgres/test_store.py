"""The PostgreSQL store: the storage contract (tests/index/contract.py), then what only it does:
vector search in the database (scored as FAISS scores), its lexical tokens filled in for a
database from before, neighbours by position when several writers interleave ids, one
snapshot per answer, reconnecting, refusing a mismatch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from index.errors import StoreError, StoreUnavailable
from index.faiss.vectors import VectorIndex
from index.postgres.store import PostgresStore, read_meta
from index.protocols import Storage
from index.types import NewDocument
from tests.index.contract import DIM as CONTRACT_DIM
from tests.index.contract import Opener, StorageContract, make_doc, unit_vectors

DIM = 8


def _doc(doc_id: str, texts: list[str], seed: int = 0) -> tuple[NewDocument, np.ndarray]:
    return make_doc(doc_id, texts, vectors=unit_vectors(len(texts), DIM, seed))


class TestPostgresStore(StorageContract):
    @pytest.fixture
    def open_store(self, postgres_url: str) -> Iterator[Opener]:
        """Opens (or re-opens) a store on the test's own database; all are closed afterwards."""
        opened: list[Storage] = []

        def _open() -> Storage:
            opened.append(PostgresStore(postgres_url, CONTRACT_DIM))
            return opened[-1]

        yield _open
        for store in opened:
            store.close()


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(postgres_url, DIM)
    yield s
    s.close()


def test_vector_search_finds_each_sentence_first(store: PostgresStore) -> None:
    doc, vectors = _doc("a", [f"Sentence number {i}." for i in range(40)])
    _, ids = store.put_document(doc, vectors)
    assert store.count_sentences() == 40
    for i in (0, 17, 39):
        best, score = store.nearest(vectors[i], 5)[0]
        assert best == ids[i] and score == pytest.approx(1.0, abs=1e-5)
    only = ids[10:12]
    assert {i for i, _ in store.nearest(vectors[0], 5, only)} == set(only)
    assert store.nearest(vectors[0], 5, []) == []


def test_windows_follow_positions_when_ids_interleave(store: PostgresStore, postgres_url: str) -> None:
    # Another process taking ids from the same sequence in between: ids are no longer consecutive.
    with psycopg.connect(postgres_url, autocommit=True) as other:
        _, a1 = store.put_document(*_doc("a", ["A one."]))
        other.execute("SELECT nextval('qa_sentences_id_seq')")
        _, b = store.put_document(*_doc("b", ["B one.", "B two.", "B three."]))
    middle = store.sentences([b[1]])[b[1]]
    assert [s.text for s in store.windows_of([middle.id])[middle.id]] == ["B one.", "B two.", "B three."]
    assert a1[0] not in {s.id for s in store.windows_of([middle.id])[middle.id]}


def test_an_answer_reads_one_snapshot(store: PostgresStore, postgres_url: str) -> None:
    store.put_document(*_doc("a", ["Kept."]))
    writer = PostgresStore(postgres_url, DIM)
    try:
        with store.lock:
            before = store.count_documents()
            writer.put_document(*_doc("b", ["Added meanwhile."]))
            assert store.count_documents() == before  # the snapshot does not move
        assert store.count_documents() == before + 1
    finally:
        writer.close()


def test_reconnects_after_the_connection_drops(store: PostgresStore, postgres_url: str) -> None:
    store.put_document(*_doc("a", ["Still here."]))
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with pytest.raises(StoreUnavailable):
        store.count_documents()  # the request in flight fails cleanly...
    assert store.count_documents() == 1  # ...and the next one reconnects


def test_unreachable_server_and_dimension_mismatch(store: PostgresStore, postgres_url: str,
                                                   tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        PostgresStore(f"postgresql://qa@/qa?host={tmp_path}", DIM)
    with pytest.raises(StoreError, match="dimensional"):
        PostgresStore(postgres_url, DIM * 2)


def test_meta_is_readable_before_the_store_is_opened(store: PostgresStore, postgres_url: str,
                                                     tmp_path: Path) -> None:
    store.set_meta("vector_model", "some-model")
    assert read_meta(postgres_url, "vector_model") == "some-model"
    assert read_meta(postgres_url, "no-such-key") is None
    with pytest.raises(StoreUnavailable):
        read_meta(f"postgresql://qa@/qa?host={tmp_path}", "vector_model")


def test_nearest_is_what_faiss_answers_to_the_last_bit(store: PostgresStore) -> None:
    # Duplicated vectors tie exactly: FAISS keeps the lowest ids among them, and so must the copy.
    vectors = unit_vectors(300, DIM, seed=3)
    vectors[::7] = vectors[5]
    _, ids = store.put_document(make_doc("a", [f"S{i}." for i in range(300)], vectors=vectors)[0], vectors)
    faiss = VectorIndex(DIM)
    faiss.add(ids, vectors)
    queries = [vectors[5], *unit_vectors(20, DIM, seed=4)]
    for k in (1, 30, 60):
        assert [store.nearest(q, k) for q in queries] == [faiss.search(q, k) for q in queries]
    only = [ids[i] for i in (250, 3, 40, 41, 7, 199)]  # any order: scored in the order given, as FAISS does
    assert [store.nearest(q, 4, only) for q in queries] == [faiss.search(q, 4, only) for q in queries]
    store.exact_up_to = 100  # beyond it, the HNSW index's candidates, still scored by FAISS
    found = store.nearest(queries[1], 10)
    assert found and all(dict(faiss.search(queries[1], 300))[i] == score for i, score in found)


def test_a_database_from_before_gets_its_tokens_at_start(store: PostgresStore, postgres_url: str) -> None:
    store.put_document(*_doc("a", ["The ferry was late again.", "Ferries run late.", "Buses run on time."]))
    fresh = store.lexical_search("ferry late", 5), store.document_frequencies(["late", "ferries"]), store.embedded("a")
    storage = "SELECT attstorage FROM pg_attribute WHERE attrelid = 'qa_sentences'::regclass AND attname = 'embedding'"
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # as an earlier release left it
        conn.execute("DROP TABLE qa_tokens")
        conn.execute("DELETE FROM qa_meta WHERE key = 'lexical_tokens'")
        conn.execute("ALTER TABLE qa_sentences ADD COLUMN postings tsvector "
                     "GENERATED ALWAYS AS (to_tsvector('english', index_text)) STORED")
        conn.execute("ALTER TABLE qa_sentences ALTER COLUMN embedding SET STORAGE EXTENDED")
        again = PostgresStore(postgres_url, DIM)
        try:
            found = again.lexical_search("ferry late", 5), again.document_frequencies(["late", "ferries"])
            assert found == fresh[:2] and again.get_meta("lexical_tokens") == "porter unicode61"
            assert np.array_equal(again.embedded("a")[1], fresh[2][1])  # the very same vectors, now in the row
            assert conn.execute(storage).fetchone() == ("m",)
        finally:
            again.close()
