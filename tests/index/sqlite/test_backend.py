"""SQLite + FAISS as a backend: its vectors stay in step with the store, also when several backends
(as several processes would) share one data folder."""

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from index.backend import open_backend, stored_model
from index.embedders.base import FakeEmbedder
from index.errors import StorageFull
from index.faiss.vectors import MANIFEST_FILE
from index.protocols import Backend
from index.sqlite.backend import SqliteBackend
from index.types import BackendConfig, NewDocument, NewSentence

EMBEDDER = FakeEmbedder(dim=32)


@pytest.fixture
def open_one(tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    opened: list[Backend] = []

    def _open(**options: object) -> Backend:
        backend = open_backend(BackendConfig(data_dir=tmp_path, **options), EMBEDDER)  # type: ignore[arg-type]
        opened.append(backend)
        return backend

    yield _open
    for backend in opened:
        backend.close()


def _doc(doc_id: str, *sentences: str) -> tuple[NewDocument, np.ndarray]:
    spans, pos = [], 0
    for s in sentences:
        spans.append(NewSentence(pos, pos + len(s), s, s, s))
        pos += len(s) + 1
    return NewDocument(id=doc_id, title=doc_id, text=" ".join(sentences), checksum=doc_id,
                       sentences=spans), EMBEDDER.encode(list(sentences))


def _found(backend: Backend, text: str) -> set[str]:
    ids = [i for i, _ in backend.search(EMBEDDER.encode([text])[0], 5)]
    return {s.text for s in backend.sentences(ids).values()}


def test_the_factory_opens_sqlite_and_reads_the_model_before_opening(open_one: Callable[..., Backend],
                                                                      tmp_path: Path) -> None:
    assert stored_model(BackendConfig(data_dir=tmp_path)) is None  # no store yet
    backend = open_one()
    assert isinstance(backend, SqliteBackend) and backend.conversation_store() is None
    assert stored_model(BackendConfig(data_dir=tmp_path)) == EMBEDDER.name


def test_writes_keep_the_vectors_in_step(open_one: Callable[..., Backend]) -> None:
    backend = open_one()
    backend.put_document(*_doc("a", "The harbour opened in 1990.", "Ferries sail daily."))
    assert backend.vector_count() == backend.count_sentences() == 2
    assert "Ferries sail daily." in _found(backend, "Ferries sail daily.")
    backend.delete_document("a")
    assert backend.vector_count() == 0 and backend.search(EMBEDDER.encode(["x"])[0], 5) == []


def test_a_write_through_one_is_searched_through_the_other(open_one: Callable[..., Backend]) -> None:
    a, b = open_one(), open_one()
    a.put_document(*_doc("a", "The harbour opened in 1990."))
    assert _found(b, "The harbour opened in 1990.") == {"The harbour opened in 1990."}
    # b writes next: it starts from a's index, so the file it saves keeps a's sentence too.
    b.put_document(*_doc("b", "Ferries sail daily."))
    assert a.vector_count() == b.vector_count() == 2
    assert "The harbour opened in 1990." in _found(a, "The harbour opened in 1990.")
    a.delete_document("b")
    assert b.vector_count() == 1 and _found(b, "Ferries sail daily.") == {"The harbour opened in 1990."}


def test_a_saved_index_left_behind_is_rebuilt_from_the_store(open_one: Callable[..., Backend],
                                                             tmp_path: Path) -> None:
    a, b = open_one(), open_one()
    a.put_document(*_doc("a", "The harbour opened in 1990."))
    (tmp_path / MANIFEST_FILE).unlink()  # as if a's save had failed on a full disk
    assert b.vector_count() == 1 and _found(b, "The harbour opened in 1990.") == {"The harbour opened in 1990."}


def test_no_room_is_refused_before_anything_is_written(open_one: Callable[..., Backend]) -> None:
    backend = open_one(min_free_bytes=1 << 62)
    with pytest.raises(StorageFull):
        backend.check_room(1000, 10)


def test_shared_sessions_are_seen_by_every_opener(open_one: Callable[..., Backend]) -> None:
    a, b = open_one(shared_conversations=True), open_one(shared_conversations=True)
    sa, sb = a.conversation_store(), b.conversation_store()
    assert sa is not None and sb is not None
    sa.put_conversation("c1", "client", 100.0, "[]")
    sb.put_conversation("c1", "client", 101.0, '[{"question": "Who?"}]')
    assert sa.get_conversation("c1") == ("client", 101.0, '[{"question": "Who?"}]')
    for i in range(3):
        sa.put_conversation(f"k{i}", "other", 102.0 + i, "[]")
    sb.prune_conversations("other", keep=2, expired_before=100.5, max_total=10)
    assert sa.get_conversation("k0") is None and sa.get_conversation("k2") is not None
    assert sa.get_conversation("c1") is not None  # touched after the expiry bound
