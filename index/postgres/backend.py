"""PostgreSQL + pgvector: vectors are written with their sentences, in the same transaction, and
searched in the database (HNSW), so there is no vector file to keep in step; every process
sharing the database sees every write at once, conversations included."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from index.embedders.base import Embedder
from index.frequencies import Frequencies
from index.postgres.conversations import PostgresConversations
from index.postgres.insights import PostgresInsights
from index.postgres.store import PostgresStore
from index.reembedding import reembed
from index.types import BackendConfig, NewDocument


class PostgresBackend(PostgresStore):
    def __init__(self, config: BackendConfig, embedder: Embedder) -> None:
        assert config.database_url is not None  # the factory opens this backend only for a URL
        super().__init__(config.database_url, embedder.dim)
        self.exact_up_to = config.ann_threshold  # exact where the SQLite backend's FAISS index is exact
        # Row locks keep writers of several processes apart; this keeps a check-then-write of one
        # process's threads together.
        self._writer = threading.RLock()
        self._frequencies = Frequencies()
        self._insights: PostgresInsights | None = None
        self._insights_lock = threading.Lock()
        try:
            if self.get_meta("vector_model") != embedder.name:
                reembed(self, embedder)
            self._conversations = PostgresConversations(self)
        except BaseException:
            self.close()
            raise

    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        return self.nearest(query, k, only)

    def vector_count(self) -> int:
        return self.count_sentences()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._writer:
            yield

    def put_documents(self, items: list[tuple[NewDocument, np.ndarray]],
                      save: bool = True) -> list[tuple[list[int], list[int]]]:
        """One transaction per document: vectors go with their rows, so there is nothing to save."""
        with self.writing():
            return [self.put_document(doc, vectors) for doc, vectors in items]

    def check_room(self, text_bytes: int, sentences: int) -> None:
        """The disk is the database server's: not checked here (a full one rolls the write back)."""

    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        with self.lock:
            return self._frequencies.get(self.generation(), words, super().document_frequencies)

    def conversation_store(self) -> PostgresConversations:
        return self._conversations

    def insight_store(self) -> PostgresInsights:
        with self._insights_lock:
            if self._insights is None:
                self._insights = PostgresInsights(self._url, self._options)
            return self._insights

    def close(self) -> None:
        with self._insights_lock:
            if self._insights is not None:
                self._insights.close()
        super().close()
