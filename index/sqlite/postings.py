"""BM25 (`index.bm25`) over FTS5's own postings, read a term at a time and kept until the next write.

FTS5's bm25() reads every matching sentence's size and instance list again on each query. Here a
term's postings (sentence ids, counts and sentence lengths) are read once per store generation,
and a question is scored with numpy, several times faster (docs/decisions.md). The tokens (FTS5's
own tokenizer), the statistics and the formula are those of bm25(), so the ranking is the same
(tests/index/sqlite/test_postings.py compares them).
"""

from __future__ import annotations

import sqlite3

import numpy as np

from index import bm25, lexical
from index.bm25 import TOKENIZE, Tokenizer

__all__ = ["TOKENIZE", "Postings", "Tokenizer", "varint"]
_AVERAGES_ROW = 1  # FTS5 keeps the row count and the total tokens in this row of its data table


class Postings(bm25.Postings):
    """BM25 over the FTS5 table `postings` of `conn`. Callers hold the store's lock."""

    def __init__(self, conn: sqlite3.Connection, max_terms: int = 20_000) -> None:
        super().__init__(max_terms)
        self._conn = conn
        # In the temp schema: nothing is written to the database file.
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.posting_instances "
                     "USING fts5vocab(main, postings, instance)")

    def _rows(self, token: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self._conn.execute(
            "SELECT i.doc, COUNT(*), d.sz FROM temp.posting_instances i JOIN postings_docsize d "
            "ON d.id = i.doc WHERE i.term = ? GROUP BY i.doc", (token,)).fetchall()
        return (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64),
                np.array([varint(r[2])[0] for r in rows], dtype=np.float64))

    def _read_stats(self) -> tuple[int, float]:
        """Sentences and their mean length in tokens, as bm25() reads them."""
        row = self._conn.execute("SELECT block FROM postings_data WHERE id = ?", (_AVERAGES_ROW,)).fetchone()
        # No row, or an empty one (a store whose first write was refused, e.g. on a full disk): no documents.
        count, offset = varint(row[0]) if row and row[0] else (0, 0)
        tokens = varint(row[0], offset)[0] if count else 0
        return count, tokens / count if count else 1.0

    def _phrase_count(self, word: str) -> int:
        return lexical.sentences_with(self._conn, word)


def varint(data: bytes, offset: int = 0) -> tuple[int, int]:
    """An SQLite varint (as FTS5 writes sizes and totals) at `offset`: its value and the next offset."""
    value = 0
    for _ in range(8):
        byte = data[offset]
        offset += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, offset
    return (value << 8) | data[offset], offset + 1
