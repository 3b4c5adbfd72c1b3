"""SQLite + FAISS: the store (`index.sqlite.store`) with a FAISS index (`index.faiss.vectors`) saved beside it
in the data folder, kept in step by the backend itself.

Several processes may serve one data folder. Writers take turns under a file lock; each writer
first brings its index up to date, writes the database, updates its index and saves it, all
before letting go, so the saved index always matches the database's generation once no writer is
busy. A process whose index is older than the database's generation (another process wrote)
loads the saved index at its next search: a write through one process is answered by every other
from then on. Were the saved index ever left behind (a save failed on a full disk), it is rebuilt
in memory from the vectors the database keeps.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import numpy as np

from index.embedders.base import Embedder
from index.errors import CorruptFile, StorageFull
from index.faiss.vectors import INDEX_FILE, Approximation, VectorIndex
from index.files import WriteLock
from index.frequencies import Frequencies
from index.reembedding import reembed
from index.sqlite.conversations import SqliteConversations
from index.sqlite.insights import FILE as INSIGHTS_FILE
from index.sqlite.insights import SqliteInsights
from index.sqlite.store import SqliteStore
from index.types import BackendConfig, NewDocument

log = logging.getLogger("index.sqlite.backend")


class SqliteBackend(SqliteStore):
    def __init__(self, config: BackendConfig, embedder: Embedder) -> None:
        super().__init__(config.database_path)
        self._config, self._model, self._dim = config, embedder.name, embedder.dim
        self._approximation = Approximation(config.ann_threshold, config.ann_nprobe)
        self._writer = WriteLock(config.data_dir / "write.lock")
        self._following = threading.Lock()
        self._frequencies = Frequencies()
        shared = config.shared_conversations
        self._conversations = SqliteConversations(config.data_dir / "conversations.sqlite3") if shared else None
        self._insights: SqliteInsights | None = None
        self._insights_lock = threading.Lock()
        self._vectors = VectorIndex(self._dim, approximation=self._approximation)
        self._vectors_at = -1  # the store generation `_vectors` reflects
        try:
            with self.writing():  # processes starting together: one rebuilds or re-embeds, once
                self._open_vectors(embedder)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._conversations is not None:
            self._conversations.close()
        with self._insights_lock:
            if self._insights is not None:
                self._insights.close()
        super().close()

    # --- the vector side --------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        return self._current().search(query, k, only)

    def vector_count(self) -> int:
        return len(self._current())

    def _current(self) -> VectorIndex:
        generation = self.generation()
        if generation != self._vectors_at:
            self._follow(generation)
        return self._vectors

    def _follow(self, generation: int) -> None:
        """Another process wrote: take up its saved index. While a writer is busy (the file may be
        about to change) the index in memory serves on, and the next search looks again."""
        if not self._following.acquire(blocking=False):
            return  # another thread is at it: this search uses the index as it is
        try:
            with self._writer.idle() as idle:
                if idle and self.generation() != self._vectors_at:
                    self._take_up(self.generation(), rebuild=True)
        finally:
            self._following.release()

    def _take_up(self, generation: int, rebuild: bool) -> None:
        """Load the saved index of `generation`; failing that, rebuild it from the store if allowed."""
        try:
            self._vectors = VectorIndex.load(self._config.data_dir, self._model, self._dim, generation,
                                             self._approximation)
        except CorruptFile as exc:
            if not rebuild:
                raise
            log.warning("rebuilding the vector index from the stored vectors: %s", exc)
            self._vectors = self._rebuilt()
        self._vectors_at = generation

    def _rebuilt(self) -> VectorIndex:
        index = VectorIndex(self._dim, approximation=self._approximation)
        for ids, matrix in self.iter_vectors(self._dim):
            index.add(ids, matrix)
        return index

    def _open_vectors(self, embedder: Embedder) -> None:
        generation = self.generation()
        try:
            return self._take_up(generation, rebuild=False)
        except CorruptFile as exc:
            if self.count_sentences():  # a new, empty store has no index yet: nothing to warn about
                log.warning("rebuilding the vector index from the stored sentences: %s", exc)
        if self.get_meta("vector_model") == self._model:
            self._vectors = self._rebuilt()
        else:
            self._vectors = VectorIndex(self._dim, approximation=self._approximation)
            reembed(self, embedder, self._vectors)
        self._save(after_write=False)  # at start-up: the rebuilt index serves; the file waits for space

    def _save(self, after_write: bool = True) -> None:
        self._vectors_at = self.generation()
        try:
            self._vectors.save(self._config.data_dir, self._model, self._vectors_at)
        except StorageFull as exc:
            # The database has the write and this process serves it from memory; the vector file is
            # older than the database, so the next opener rebuilds it from there. Nothing is lost, but
            # the write is not what was asked (durable files): the writer is told, never a 200.
            log.error("the vector index file could not be saved (disk full); it is rebuilt at the next start")
            if after_write:
                raise StorageFull("the write is in the database, but the vector index file could not be saved "
                                  "(disk full): this process serves it, the next start rebuilds the file; free "
                                  "disk space") from exc

    # --- writes -----------------------------------------------------------------------------
    def writing(self) -> AbstractContextManager[None]:
        return self._writer()

    def put_document(self, doc: NewDocument, vectors: np.ndarray) -> tuple[list[int], list[int]]:
        return self._written(lambda: super(SqliteBackend, self).put_document(doc, vectors), vectors)

    def delete_document(self, document_id: str) -> list[int]:
        return self._written(lambda: (super(SqliteBackend, self).delete_document(document_id), []), None)[0]

    def put_documents(self, items: list[tuple[NewDocument, np.ndarray]],
                      save: bool = True) -> list[tuple[list[int], list[int]]]:
        with self.writing():
            self._catch_up()
            done = self._put_all(items)
            for (removed, added), (_, vectors) in zip(done, items, strict=True):
                self._vectors.remove(removed)
                self._vectors.add(added, vectors)
            if save:
                self._save()
            else:  # the index in memory is current; the file is written by the run's last batch
                self._vectors_at = self.generation()
        return done

    def _written(self, write: Callable[[], tuple[list[int], list[int]]],
                 vectors: np.ndarray | None) -> tuple[list[int], list[int]]:
        with self.writing():
            self._catch_up()
            removed, added = write()
            self._vectors.remove(removed)
            if vectors is not None:
                self._vectors.add(added, vectors)
            self._save()
        return removed, added

    def _catch_up(self) -> None:
        """Under the write lock: if another process wrote since, start from its index."""
        if self.generation() != self._vectors_at:
            self._take_up(self.generation(), rebuild=True)

    def check_room(self, text_bytes: int, sentences: int) -> None:
        """The estimate counts the text in the database and its lexical index, the vectors, and a
        fresh copy of the vector file beside the old one."""
        vector_file = self._config.data_dir / INDEX_FILE
        old_file = vector_file.stat().st_size if vector_file.exists() else 0
        need = 4 * text_bytes + 2 * sentences * self._dim * 4 + old_file
        if shutil.disk_usage(self._config.data_dir).free - need < self._config.min_free_bytes:
            raise StorageFull(f"not enough free disk for this document (about {need} bytes, keeping "
                              f"{self._config.min_free_bytes} free); nothing was stored")

    # --- the rest ---------------------------------------------------------------------------
    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        with self.lock:
            return self._frequencies.get(self.generation(), words, super().document_frequencies)

    def conversation_store(self) -> SqliteConversations | None:
        return self._conversations

    def insight_store(self) -> SqliteInsights:
        with self._insights_lock:
            if self._insights is None:  # a file only where insights were recorded or asked for
                self._insights = SqliteInsights(self._config.data_dir / INSIGHTS_FILE)
            return self._insights
