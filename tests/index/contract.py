"""The storage contract as mixins: every backend's test class inherits `StorageContract` and
provides one fixture, `open_store`, that opens (or re-opens) a store on the same data.

    class TestMyBackend(StorageContract):
        @pytest.fixture
        def open_store(self, ...) -> Iterator[Opener]: ...

Each mixin pins one part of `index.protocols.Storage`; a backend that does not offer a part can
inherit the mixins it does. `CORPUS` and `QUERIES` are the fixed corpus the lexical-ranking
parity test (tests/index/test_lexical_parity.py) compares the backends on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from index.errors import DocumentNotFound
from index.feedback import Feedback
from index.protocols import Storage
from index.types import NewDocument, NewSentence

DIM = 4
Opener = Callable[[], Storage]


def make_doc(doc_id: str, sentences: list[str], title: str | None = None,
             vectors: np.ndarray | None = None) -> tuple[NewDocument, np.ndarray]:
    """A document of the given sentences (indexed and embedded as they are), with `vectors` or equal
    unit vectors of `DIM` dimensions."""
    spans, pos = [], 0
    for s in sentences:
        spans.append(NewSentence(pos, pos + len(s), s, s, s))
        pos += len(s) + 1
    if vectors is None:
        vectors = np.ones((len(sentences), DIM), dtype=np.float32) / 2
    return NewDocument(id=doc_id, title=title or doc_id, text=" ".join(sentences), checksum=doc_id,
                       sentences=spans), vectors


def unit_vectors(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    """Random vectors of length one, the same for the same seed."""
    m = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    unit: np.ndarray = m / np.linalg.norm(m, axis=1, keepdims=True)
    return unit


class WritesContract:
    """put, replace and delete leave no stale rows; every write moves the generation."""

    def test_put_replace_delete_keep_no_stale_rows(self, open_store: Opener) -> None:
        store = open_store()
        removed, added = store.put_document(*make_doc("a", ["Cats purr.", "Dogs bark."]))
        assert removed == [] and len(added) == 2
        removed, added2 = store.put_document(*make_doc("a", ["Birds sing."]))
        assert sorted(removed) == sorted(added)
        assert store.count_sentences() == 1
        assert store.lexical_search("dogs", 5) == []
        assert [i for i, _ in store.lexical_search("birds", 5)] == added2
        assert store.delete_document("a") == added2
        assert store.count_sentences() == 0 and store.lexical_search("birds", 5) == []
        with pytest.raises(DocumentNotFound):
            store.delete_document("a")

    def test_generation_advances_on_every_write(self, open_store: Opener) -> None:
        store = open_store()
        g0 = store.generation()
        store.put_document(*make_doc("a", ["One."]))
        store.delete_document("a")
        assert store.generation() == g0 + 2

    def test_a_missing_document_is_reported(self, open_store: Opener) -> None:
        store = open_store()
        with pytest.raises(DocumentNotFound):
            store.get_document("nope")
        assert not store.has_document("nope") and store.sentence_ids("nope") == []

    def test_replaced_vectors_are_the_ones_read_back(self, open_store: Opener) -> None:
        store = open_store()
        _, ids = store.put_document(*make_doc("a", ["One.", "Two."]))
        new = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32)
        store.replace_vectors(ids, new)
        np.testing.assert_allclose(store.embedded("a")[1], new, rtol=1e-6)
        assert [t for batch in store.iter_embed_texts(1) for t in batch[1]] == ["One.", "Two."]


class ReadsContract:
    """What reads return right after a write: never a remembered answer from before it."""

    def test_titles_slices_and_mentions_read_after_a_write_are_the_new_ones(self, open_store: Opener) -> None:
        store = open_store()
        doc, vectors = make_doc("a", ["The mayor spoke.", "Rain fell."])
        _, first_ids = store.put_document(doc, vectors)
        assert (store.titles(["a"]), store.text_slice("a", 0, 16), store.mentions("mayor")) == \
            ({"a": "a"}, "The mayor spoke.", True)
        assert sorted(store.sentence_ids("a")) == sorted(first_ids)
        again, vectors = make_doc("a", ["The judge spoke.", "Rain fell.", "Roads closed."])
        _, new_ids = store.put_document(replace(again, title="Court"), vectors)
        assert (store.titles(["a"]), store.text_slice("a", 0, 16), store.mentions("mayor")) == \
            ({"a": "Court"}, "The judge spoke.", False)
        assert sorted(store.sentence_ids("a")) == sorted(new_ids) and len(new_ids) == 3
        store.delete_document("a")
        assert store.titles(["a"]) == {} and not store.mentions("judge") and store.sentence_ids("a") == []

    def test_windows_and_text_slice(self, open_store: Opener) -> None:
        store = open_store()
        _, ids = store.put_document(*make_doc("a", ["One.", "Two.", "Three."]))
        middle = store.sentences([ids[1]])[ids[1]]
        first = store.sentences([ids[0]])[ids[0]]
        windows = store.windows_of([middle.id, first.id, 10**9])
        assert set(windows) == {middle.id, first.id}  # an id that is not stored has no window
        assert [s.text for s in windows[middle.id]] == ["One.", "Two.", "Three."]
        assert [s.text for s in windows[first.id]] == ["One.", "Two."]
        assert store.text_slice("a", middle.start, middle.end) == "Two."
        assert [s.position for s in store.document_sentences("a")] == [0, 1, 2]

    def test_sentences_read_after_a_write_are_the_new_ones(self, open_store: Opener) -> None:
        # SQLite reuses the ids of deleted rows, so remembered sentences must not outlive a write.
        store = open_store()
        _, ids = store.put_document(*make_doc("a", ["Old one.", "Old two."]))
        assert [s.text for s in store.sentences(ids).values()] == ["Old one.", "Old two."]
        _, new_ids = store.put_document(*make_doc("a", ["New one.", "New two."]))
        assert sorted(s.text for s in store.sentences(ids + new_ids).values()) == ["New one.", "New two."]
        store.delete_document("a")
        assert store.sentences(ids + new_ids) == {}

    def test_embedded_texts_and_vectors_come_back_in_order(self, open_store: Opener) -> None:
        store = open_store()
        doc, vectors = make_doc("a", ["One.", "Two."])
        vectors[1] = [0.5, -0.5, 0.5, -0.5]
        store.put_document(doc, vectors)
        texts, stored = store.embedded("a")
        assert texts == ["One.", "Two."]
        np.testing.assert_allclose(stored, vectors, rtol=1e-6)
        assert store.embedded("missing")[0] == []

    def test_document_ids_in_the_order_they_were_added(self, open_store: Opener) -> None:
        store = open_store()
        assert store.document_ids() == []
        store.put_document(*make_doc("b", ["One."]))
        store.put_document(*make_doc("a", ["Two."]))
        assert store.document_ids() == ["b", "a"]
        listed = store.list_documents()
        assert [(d.id, d.title, d.sentence_count, d.metadata) for d in listed] == \
            [("b", "b", 1, {}), ("a", "a", 1, {})]
        assert not hasattr(listed[0], "text")  # a listing does not read the articles themselves


class LexicalContract:
    """Lexical search: query syntax is text, scores are best-first and positive, rare words weigh more."""

    def test_lexical_search_ignores_query_syntax_and_scopes_to_document(self, open_store: Opener) -> None:
        store = open_store()
        store.put_document(*make_doc("a", ["The mayor spoke."]))
        store.put_document(*make_doc("b", ["The mayor resigned."]))
        assert len(store.lexical_search('mayor" OR NEAR( * AND', 5)) == 2
        assert len(store.lexical_search("mayor", 5, document_id="b")) == 1
        assert store.mentions("mayor", "a") and not store.mentions("Paris")

    def test_lexical_ranking_prefers_rare_words(self, open_store: Opener) -> None:
        store = open_store()
        _, ids = store.put_document(*make_doc("a", ["The council met on Monday.", "The council met again.",
                                                    "The harbour flooded on Monday.", "The council voted."]))
        ranked = [i for i, _ in store.lexical_search("harbour council", 4)]
        assert ranked[0] == ids[2]  # "harbour" is rarer than "council"
        counts, total = store.document_frequencies(["council", "harbour"])
        assert counts == {"council": 3, "harbour": 1} and total == 4

    def test_scores_are_positive_best_first_and_cut_at_k(self, open_store: Opener) -> None:
        store = open_store()
        for doc_id, sentences in CORPUS.items():
            store.put_document(*make_doc(doc_id, sentences))
        for query in QUERIES:
            hits = store.lexical_search(query, 3)
            scores = [s for _, s in hits]
            assert len(hits) <= 3 and all(s > 0 for s in scores), query
            assert scores == sorted(scores, reverse=True), query

    def test_stop_words_and_empty_queries_match_nothing(self, open_store: Opener) -> None:
        store = open_store()
        store.put_document(*make_doc("a", ["The mayor spoke to the council."]))
        assert store.lexical_search("", 5) == [] and store.lexical_search("the of and", 5) == []
        assert store.lexical_search("?!", 5) == []

    def test_mentions_is_a_phrase_in_order_stemmed(self, open_store: Opener) -> None:
        store = open_store()
        store.put_document(*make_doc("a", ["Bernard Cazeneuve spoke.", "Calais officials were running late."]))
        store.put_document(*make_doc("b", ["Nothing here."]))
        assert store.mentions("Bernard Cazeneuve") and store.mentions("calais official")  # stemmed, any case
        assert not store.mentions("Cazeneuve Bernard")  # the words, in order
        assert not store.mentions("Bernard Cazeneuve", "b")  # scoped to one document


class PersistenceContract:
    """What a store holds survives closing it and opening it again."""

    def test_documents_feedback_and_meta_survive_reopen(self, open_store: Opener) -> None:
        store = open_store()
        store.put_document(*make_doc("a", ["One.", "Two."]))
        store.set_meta("seeded", "1")
        store.add_feedback(Feedback(helpful=True, question="q?", extra={"k": 1}))
        store.close()
        again = open_store()
        assert again.get_document("a").sentence_count == 2 and again.get_meta("seeded") == "1"
        assert again.get_meta("never-set") is None and again.get_meta("never-set", "x") == "x"
        assert [(f["helpful"], f["question"]) for f in again.recent_feedback()] == [(True, "q?")]
        assert again.count_documents() == 1 and again.count_sentences() == 2

    def test_feedback_is_newest_first_and_bounded(self, open_store: Opener) -> None:
        store = open_store()
        for i in range(5):
            store.add_feedback(Feedback(helpful=i % 2 == 0, question=f"q{i}?"), keep=3)
        assert [f["question"] for f in store.recent_feedback()] == ["q4?", "q3?", "q2?"]
        assert [f["question"] for f in store.recent_feedback(limit=1)] == ["q4?"]


class StorageContract(WritesContract, ReadsContract, LexicalContract, PersistenceContract):
    """Everything `index.protocols.Storage` promises. Subclasses provide `open_store`."""


# A fixed small corpus for ranking parity: one- and two-term matches, a word shared by many
# sentences, inflected forms, and lengths from three words to twenty.
CORPUS = {
    "harbour": [
        "The mayor said the harbour would reopen in spring.",
        "Running the harbour costs the city two million pounds a year.",
        "Fishermen say the harbour runs well, and the mayor runs the city.",
        "The new ferry sails twice a day between the harbour and the island, the council said on Tuesday.",
    ],
    "council": [
        "The council voted to close the library.",
        "Protesters gathered outside the council offices on Monday.",
        "Nobody mentioned the mayor.",
        "Rain.",
    ],
    "bridge": [
        "The bridge reopened after three years of repairs.",
        "Engineers found cracks in the steel girders of the bridge.",
        "Traffic on the island road doubled once the bridge reopened.",
    ],
}
# Each query's best hit is clear under either backend's BM25 (see the parity test for the limits).
QUERIES = ["harbour ferry", "library vote", "cracks girders", "protesters Monday", "bridge repairs",
           "rain", "island traffic", "mayor spring", "fishermen"]
