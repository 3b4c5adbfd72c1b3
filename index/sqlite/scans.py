"""Reads over many sentences at once: a document's stored vectors, and the whole store page by
page (rebuilding the vector index, re-embedding under another model). A part of `SqliteStore`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import numpy as np

from index.sqlite.connection import StoreLock


class Scans:
    _conn: sqlite3.Connection
    lock: StoreLock

    def embedded(self, document_id: str) -> tuple[list[str], np.ndarray]:
        """A document's embedded texts and their vectors, in order (none when it is not stored)."""
        with self.lock:
            rows = self._conn.execute("SELECT embed_text, vector FROM sentences WHERE document_id = ? "
                                      "ORDER BY position", (document_id,)).fetchall()
        return [r[0] for r in rows], np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]) \
            if rows else np.zeros((0, 0), dtype=np.float32)

    def iter_vectors(self, dim: int, batch: int = 4096) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (ids, vectors) in batches, for rebuilding the vector index."""
        for rows in self._pages("vector", batch):
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            yield ids, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(-1, dim)

    def iter_embed_texts(self, batch: int = 512) -> Iterator[tuple[list[int], list[str]]]:
        """Yield (ids, texts to embed) in batches, for re-embedding under another model."""
        for rows in self._pages("embed_text", batch):
            yield [r[0] for r in rows], [r[1] for r in rows]

    def _pages(self, column: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        # Keyset pagination, taking the lock per page so writers are not held up for the whole scan.
        last = -1
        while True:
            with self.lock:
                rows = self._conn.execute(
                    f"SELECT id, {column} FROM sentences WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
                ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

