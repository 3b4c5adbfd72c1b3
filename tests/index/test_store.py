"""The store contract, run against both backends; SQLite-only behaviour at the end."""

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.errors import CorruptFile, DocumentNotFound
from index.feedback import Feedback
from index.postgres import PostgresStore
from index.storage import Storage
from index.store import NewDocument, NewSentence, Store

DIM = 4


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Storage]]:
    """Opens (or re-opens) one store; everything opened is closed afterwards."""
    opened: list[Storage] = []
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None

    def _open() -> Storage:
        store: Storage = PostgresStore(url, DIM) if url else Store(tmp_path / "db.sqlite3")
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


def _doc(doc_id: str, sentences: list[str]) -> tuple[NewDocument, np.ndarray]:
    text, spans, pos = "", [], 0
    for s in sentences:
        spans.append(NewSentence(pos, pos + len(s), s, s, s))
        text += s + " "
        pos += len(s) + 1
    return NewDocument(id=doc_id, title=doc_id, text=text, checksum=doc_id, sentences=spans), \
        np.ones((len(sentences), DIM), dtype=np.float32) / 2


def test_put_replace_delete_keep_no_stale_rows(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    removed, added = store.put_document(*_doc("a", ["Cats purr.", "Dogs bark."]))
    assert removed == [] and len(added) == 2
    removed, added2 = store.put_document(*_doc("a", ["Birds sing."]))
    assert sorted(removed) == sorted(added)
    assert store.count_sentences() == 1
    assert store.lexical_search("dogs", 5) == []
    assert [i for i, _ in store.lexical_search("birds", 5)] == added2
    assert store.delete_document("a") == added2
    assert store.count_sentences() == 0 and store.lexical_search("birds", 5) == []
    with pytest.raises(DocumentNotFound):
        store.delete_document("a")


def test_generation_advances_on_every_write(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    g0 = store.generation()
    store.put_document(*_doc("a", ["One."]))
    store.delete_document("a")
    assert store.generation() == g0 + 2


def test_titles_slices_and_mentions_read_after_a_write_are_the_new_ones(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    doc, vectors = _doc("a", ["The mayor spoke.", "Rain fell."])
    _, first_ids = store.put_document(doc, vectors)
    assert (store.titles(["a"]), store.text_slice("a", 0, 16), store.mentions("mayor")) == \
        ({"a": "a"}, "The mayor spoke.", True)
    assert sorted(store.sentence_ids("a")) == sorted(first_ids)
    again, vectors = _doc("a", ["The judge spoke.", "Rain fell.", "Roads closed."])
    _, new_ids = store.put_document(replace(again, title="Court"), vectors)
    assert (store.titles(["a"]), store.text_slice("a", 0, 16), store.mentions("mayor")) == \
        ({"a": "Court"}, "The judge spoke.", False)
    assert sorted(store.sentence_ids("a")) == sorted(new_ids) and len(new_ids) == 3
    store.delete_document("a")
    assert store.titles(["a"]) == {} and not store.mentions("judge") and store.sentence_ids("a") == []


def test_the_generation_is_read_once_while_the_lock_is_held(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.put_document(*_doc("a", ["One."]))
    behind_its_back = "UPDATE meta SET value = ? WHERE key = 'generation'"
    with store.lock:
        pinned = store.generation()
        store.connection.execute(behind_its_back, ("50",))  # as another process would write
        assert store.generation() == pinned
        store.put_document(*_doc("b", ["Two."]))  # a write of its own shows at once
        assert store.generation() == 51
    store.connection.execute(behind_its_back, ("70",))
    assert store.generation() == 70  # the lock released, the next read sees the other writer
    store.close()


def test_lexical_search_ignores_query_syntax_and_scopes_to_document(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    store.put_document(*_doc("a", ["The mayor spoke."]))
    store.put_document(*_doc("b", ["The mayor resigned."]))
    assert len(store.lexical_search('mayor" OR NEAR( * AND', 5)) == 2
    assert len(store.lexical_search("mayor", 5, document_id="b")) == 1
    assert store.mentions("mayor", "a") and not store.mentions("Paris")


def test_windows_and_text_slice(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    _, ids = store.put_document(*_doc("a", ["One.", "Two.", "Three."]))
    middle = store.sentences([ids[1]])[ids[1]]
    first = store.sentences([ids[0]])[ids[0]]
    windows = store.windows_of([middle.id, first.id, 10**9])
    assert set(windows) == {middle.id, first.id}  # an id that is not stored has no window
    assert [s.text for s in windows[middle.id]] == ["One.", "Two.", "Three."]
    assert [s.text for s in windows[first.id]] == ["One.", "Two."]
    assert store.text_slice("a", middle.start, middle.end) == "Two."


def test_sentences_read_after_a_write_are_the_new_ones(open_store: Callable[[], Storage]) -> None:
    # SQLite reuses the ids of deleted rows, so remembered sentences must not outlive a write.
    store = open_store()
    _, ids = store.put_document(*_doc("a", ["Old one.", "Old two."]))
    assert [s.text for s in store.sentences(ids).values()] == ["Old one.", "Old two."]
    _, new_ids = store.put_document(*_doc("a", ["New one.", "New two."]))
    assert sorted(s.text for s in store.sentences(ids + new_ids).values()) == ["New one.", "New two."]
    store.delete_document("a")
    assert store.sentences(ids + new_ids) == {}


def test_documents_feedback_and_meta_survive_reopen(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    store.put_document(*_doc("a", ["One.", "Two."]))
    store.set_meta("seeded", "1")
    store.add_feedback(Feedback(helpful=True, question="q?", extra={"k": 1}))
    store.close()
    again = open_store()
    assert again.get_document("a").sentence_count == 2 and again.get_meta("seeded") == "1"
    assert [(f["helpful"], f["question"]) for f in again.recent_feedback()] == [(True, "q?")]
    assert again.count_documents() == 1 and again.count_sentences() == 2


def test_lexical_ranking_prefers_rare_words(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    _, ids = store.put_document(*_doc("a", ["The council met on Monday.", "The council met again.",
                                            "The harbour flooded on Monday.", "The council voted."]))
    ranked = [i for i, _ in store.lexical_search("harbour council", 4)]
    assert ranked[0] == ids[2]  # "harbour" is rarer than "council"
    counts, total = store.document_frequencies(["council", "harbour"])
    assert counts == {"council": 3, "harbour": 1} and total == 4


def test_vectors_survive_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.put_document(*_doc("a", ["One.", "Two."]))
    store.close()
    reopened = Store(tmp_path / "db.sqlite3")
    batches = list(reopened.iter_vectors(4))
    assert sum(len(ids) for ids, _ in batches) == 2


def test_garbage_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorruptFile):
        Store(path)


def test_a_clean_close_seals_the_file_and_a_changed_byte_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    store.put_document(*_doc("a", ["One sentence here.", "Another one."]))
    store.close()
    seal = path.with_name("db.sqlite3.sha256")
    assert seal.exists()
    Store(path).close()  # verified, then sealed again
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, anywhere: SQLite's own quick check may not notice
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match="checksum"):
        Store(path)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(CorruptFile):
        Store(path)


def test_only_the_last_process_to_close_seals(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first, second = Store(path), Store(path)
    first.put_document(*_doc("a", ["One."]))
    first.close()
    assert not path.with_name("db.sqlite3.sha256").exists()  # the second still writes
    second.put_document(*_doc("b", ["Two."]))
    second.close()
    assert path.with_name("db.sqlite3.sha256").exists()
    again = Store(path)
    assert again.count_documents() == 2
    again.close()


def test_an_unreadable_seal_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    path.with_name("db.sqlite3.sha256").write_text("{not json")
    with pytest.raises(CorruptFile, match="unreadable"):
        Store(path)


def test_embedded_texts_and_vectors_come_back_in_order(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    doc, vectors = _doc("a", ["One.", "Two."])
    vectors[1] = [0.5, -0.5, 0.5, -0.5]
    store.put_document(doc, vectors)
    texts, stored = store.embedded("a")
    assert texts == ["One.", "Two."]
    np.testing.assert_allclose(stored, vectors, rtol=1e-6)
    assert store.embedded("missing")[0] == []


def test_document_ids_in_the_order_they_were_added(open_store: Callable[[], Storage]) -> None:
    store = open_store()
    assert store.document_ids() == []
    store.put_document(*_doc("b", ["One."]))
    store.put_document(*_doc("a", ["Two."]))
    assert store.document_ids() == ["b", "a"]
    listed = store.list_documents()
    assert [(d.id, d.title, d.sentence_count, d.metadata) for d in listed] == [("b", "b", 1, {}), ("a", "a", 1, {})]
    assert not hasattr(listed[0], "text")  # a listing does not read the articles themselves
