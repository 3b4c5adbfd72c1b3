"""What the layers above need from storage, whichever backend holds it. `index.backend.open_backend`
opens one: SQLite with a FAISS file beside it (`index.sqlite.backend`), or PostgreSQL with
pgvector (`index.postgres.backend`). The layers above see only these protocols and `index.types`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from index.feedback import Feedback
from index.insights import Insight, StoredInsight, Verdict
from index.types import DocumentInfo, NewDocument, StoredDocument, StoredSentence


class Storage(Protocol):
    """Documents, sentences, lexical postings, meta values and feedback.

    Every write of documents or vectors bumps `generation()`, a counter shared by every process
    on the same data: a value read under one generation stays true until it moves on, so callers
    may key caches on it (the backends key their own)."""

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Held while an answer is put together. Within it, reads see one consistent state of the
        data: a document replaced or deleted meanwhile (by this process or another) is seen either
        whole before or whole after the change, never half. Re-entrant. It does not exclude
        writers of other processes (SQLite: this process's writers wait; PostgreSQL: a read-only
        REPEATABLE READ snapshot) and must not be held across a write."""

    def close(self) -> None: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    def generation(self) -> int:
        """The data's version: it grows with every committed write of documents or vectors."""

    def put_document(self, doc: NewDocument, vectors: np.ndarray) -> tuple[list[int], list[int]]:
        """Insert or replace a document with its sentences' vectors (row i for sentence i), in one
        transaction; returns (removed sentence ids, added sentence ids)."""

    def delete_document(self, document_id: str) -> list[int]:
        """Remove a document (DocumentNotFound if there is none); returns its sentence ids."""

    def replace_vectors(self, ids: list[int], vectors: np.ndarray) -> None: ...
    def get_document(self, document_id: str) -> StoredDocument: ...
    def list_documents(self) -> list[DocumentInfo]: ...
    def document_ids(self) -> list[str]: ...
    def has_document(self, document_id: str) -> bool: ...

    def sentences(self, ids: list[int]) -> dict[int, StoredSentence]:
        """The stored sentences among `ids` (ids no longer stored are left out, not an error)."""

    def document_sentences(self, document_id: str) -> list[StoredSentence]: ...

    def windows_of(self, ids: list[int]) -> dict[int, list[StoredSentence]]:
        """Each stored sentence among `ids` with its neighbours in its document, in order."""

    def text_slice(self, document_id: str, start: int, end: int) -> str: ...
    def titles(self, document_ids: list[str]) -> dict[str, str]: ...
    def urls(self, document_ids: list[str]) -> dict[str, str | None]: ...

    def mentions(self, phrase: str, document_id: str | None = None) -> bool:
        """Whether some sentence (of one document, or of any) holds the phrase's words, stemmed,
        consecutively and in order: "Mrs Smith" is mentioned by "Mrs. Smith's" but not by
        "Smith, Mrs"; case and punctuation never matter; every word counts, stop words too (an
        FTS5 phrase, on either backend). False for a phrase without words."""

    def sentence_ids(self, document_id: str) -> list[int]: ...

    def lexical_search(self, text: str, k: int, document_id: str | None = None) -> list[tuple[int, float]]:
        """Best-first (sentence id, score): BM25 (k1 1.2, b 0.75) of the sentences holding any of
        the text's words, higher is better, ties by id. As FTS5's bm25() scores them (its Porter
        tokenizer, term counts, lengths in tokens) on either backend, to the last bit: the same
        store contents give the same scores (`index.bm25`). `document_id` restricts the result,
        not the corpus statistics."""

    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        """How many sentences hold each word (as the lexical index stems it), and how many
        sentences there are."""

    def count_documents(self) -> int: ...
    def count_sentences(self) -> int: ...
    def iter_embed_texts(self, batch: int = 512) -> Iterator[tuple[list[int], list[str]]]: ...

    def embedded(self, document_id: str) -> tuple[list[str], np.ndarray]:
        """A document's embedded texts and their vectors, in order (none when it is not stored)."""

    def add_feedback(self, item: Feedback, keep: int | None = None) -> int: ...
    def recent_feedback(self, limit: int = 100) -> list[dict[str, Any]]: ...


class Exporting(Storage, Protocol):
    """A store whose documents can be copied into another backend as they were put."""

    def export_document(self, document_id: str) -> tuple[NewDocument, np.ndarray]:
        """A stored document as it was put, with its vectors (row i for sentence i)."""


class VectorSearch(Protocol):
    """Nearest sentences by cosine similarity (a `Backend`, or a bare `index.faiss.vectors.VectorIndex`)."""

    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]: ...


class ConversationStore(Protocol):
    """Conversations kept where every serving process finds them: (client, last touched in
    wall-clock seconds, turns as JSON) per conversation id."""

    def get_conversation(self, conversation_id: str) -> tuple[str, float, str] | None: ...
    def put_conversation(self, conversation_id: str, client: str, touched: float, turns: str) -> None: ...

    def prune_conversations(self, client: str, keep: int, expired_before: float, max_total: int) -> None:
        """Drop expired conversations, the client's beyond its `keep` newest (0 = no bound) and
        the oldest beyond `max_total`."""


class InsightStore(Protocol):
    """Readers' questions and their outcomes, for editors (`index.insights`). Written in batches
    by one thread per process, off the path of an answer; crash-safe: a crash may lose the last
    batches, never the table."""

    def write_insights(self, rows: list[Insight], verdicts: list[Verdict], keep: int,
                       expired_before: float) -> None:
        """In one transaction: store `rows`, set `helpful` on the rows the verdicts name (unknown
        answer ids are ignored), then drop rows created before `expired_before` and the oldest
        beyond `keep`."""

    def read_insights(self, since: float, document_id: str | None = None) -> list[StoredInsight]:
        """The rows created at or after `since` (of one article, or of all), oldest first."""

    def close(self) -> None: ...


class Backend(Storage, VectorSearch, Protocol):
    """A store together with its vectors: what the service opens (`index.backend.open_backend`)
    and the only storage object it knows. Writes keep the vectors in step with the store; the
    vectors follow writes made by other processes on the same data."""

    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        """Best-first (sentence id, cosine similarity) of the nearest stored sentences; `only`
        restricts the search to those ids, exactly. Scored by FAISS on either backend, so the
        same store contents give the same scores (exact up to `ann_threshold` sentences).
        Reflects every write committed before the call (another process's within moments:
        SQLite + FAISS reload the saved index)."""

    def vector_count(self) -> int:
        """How many sentence vectors the search sees."""

    def writing(self) -> AbstractContextManager[None]:
        """One writer at a time, across threads and (SQLite) processes: a check-then-write
        sequence inside it sees no other write in between. Re-entrant within a thread."""

    def put_documents(self, items: list[tuple[NewDocument, np.ndarray]],
                      save: bool = True) -> list[tuple[list[int], list[int]]]:
        """Store many documents (a bulk ingest's batch) as `put_document` would, with the vectors
        in step; `save=False` may leave a vector file for the last batch of a run to write (a
        reader that finds it older than the store rebuilds it from the stored vectors)."""

    def check_room(self, text_bytes: int, sentences: int) -> None:
        """Raise StorageFull, before anything is written, when a document of that size would
        leave less free disk than the backend was opened to keep (no check where the disk is
        a database server's)."""

    def conversation_store(self) -> ConversationStore | None:
        """Where conversations are shared between processes; None when one process serves and
        they are best kept in its memory."""

    def insight_store(self) -> InsightStore:
        """Where readers' questions are kept for editors, shared by every process on the data;
        opened at the first call and closed with the backend."""
