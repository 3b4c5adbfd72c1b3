"""BM25 scored in memory from FTS5's own postings, read a term at a time and kept until the next write.

FTS5's bm25() reads every matching sentence's size and instance list again on each query. Here a
term's postings (sentence ids and their BM25 weights) are read once per store generation, and a
question is scored with numpy, several times faster (docs/decisions.md). The tokens (FTS5's own
tokenizer), the statistics and the formula are those of bm25(), so the ranking is the same
(tests/index/sqlite/test_postings.py compares them).
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np

from index import lexical
from index.cache import Memo

TOKENIZE = "porter unicode61"  # the lexical index's tokenizer, here and in the store's schema
K1, B = 1.2, 0.75  # bm25()'s constants
_AVERAGES_ROW = 1  # FTS5 keeps the row count and the total tokens in this row of its data table
Ranking = list[tuple[int, float]]


class Postings:
    """BM25 over the FTS5 table `postings` of `conn`. Callers hold the store's lock."""

    def __init__(self, conn: sqlite3.Connection, max_terms: int = 20_000) -> None:
        self._conn = conn
        # In the temp schema: nothing is written to the database file.
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.posting_instances "
                     "USING fts5vocab(main, postings, instance)")
        self._terms: Memo[str, tuple[np.ndarray, np.ndarray]] = Memo(max_terms)
        self._totals: Memo[str, tuple[int, float]] = Memo(1)
        self._tokens = Tokenizer()

    def close(self) -> None:
        self._tokens.close()

    def search(self, words: list[str], k: int, generation: int, within: np.ndarray | None = None) -> Ranking:
        """Best-first (sentence id, score) for `words` as bm25() ranks the FTS5 query `"w1" OR "w2" ...`.
        One difference: a word FTS5 splits into several tokens counts each token, not the phrase.
        `within` restricts the result, not the statistics (as a restricted FTS5 query does)."""
        known = self._terms.at(generation)
        parts = [self._term(token, known, generation) for token in self._tokens.of(words)]
        if not parts or k <= 0:
            return []
        ids, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))
        if within is not None:
            keep = np.isin(ids, within)
            ids, scores = ids[keep], scores[keep]
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[i]), float(scores[i])) for i in best]

    def frequencies(self, words: list[str], generation: int) -> tuple[dict[str, int], int]:
        """How many sentences hold each word (as the index stems it), and how many there are: from
        the postings a question's BM25 search has read already, more often than not."""
        known = self._terms.at(generation)
        counts = {}
        for word in words:
            tokens = self._tokens.of([word])
            # "Brokenshire's" is the phrase "brokenshir s": FTS5 counts those.
            counts[word] = len(self._term(tokens[0], known, generation)[0]) if len(tokens) == 1 \
                else lexical.sentences_with(self._conn, word)
        return counts, self._stats(generation)[0]

    def _term(self, token: str, known: dict[str, tuple[np.ndarray, np.ndarray]],
              generation: int) -> tuple[np.ndarray, np.ndarray]:
        if token not in known:
            rows = self._conn.execute(
                "SELECT i.doc, COUNT(*), d.sz FROM temp.posting_instances i JOIN postings_docsize d "
                "ON d.id = i.doc WHERE i.term = ? GROUP BY i.doc", (token,)).fetchall()
            count, average = self._stats(generation)
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            tf = np.array([r[1] for r in rows], dtype=np.float64)
            length = np.array([varint(r[2])[0] for r in rows], dtype=np.float64)
            known[token] = ids, idf(count, len(rows)) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        return known[token]

    def _stats(self, generation: int) -> tuple[int, float]:
        """Sentences and their mean length in tokens, as bm25() reads them."""
        return self._totals.get(generation, "", self._read_stats)

    def _read_stats(self) -> tuple[int, float]:
        row = self._conn.execute("SELECT block FROM postings_data WHERE id = ?", (_AVERAGES_ROW,)).fetchone()
        # No row, or an empty one (a store whose first write was refused, e.g. on a full disk): no documents.
        count, offset = varint(row[0]) if row and row[0] else (0, 0)
        tokens = varint(row[0], offset)[0] if count else 0
        return count, tokens / count if count else 1.0


def idf(count: int, hits: int) -> float:
    """bm25()'s inverse document frequency, floored as it floors it (a term in most sentences)."""
    value = math.log((count - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else 1e-6


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


class Tokenizer:
    """Words turned into the index's tokens by FTS5's tokenizer itself, in a private in-memory
    database (a Porter stemmer of our own would drift from it). Each word is remembered."""

    def __init__(self, max_words: int = 100_000) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{TOKENIZE}')")
        self._conn.execute("CREATE VIRTUAL TABLE word_tokens USING fts5vocab(words, instance)")
        self._known: dict[str, tuple[str, ...]] = {}
        self._max = max_words

    def close(self) -> None:
        self._conn.close()

    def of(self, words: list[str]) -> list[str]:
        if len(self._known) > self._max:
            self._known.clear()
        missing = [w for w in dict.fromkeys(words) if w not in self._known]
        if missing:
            self._known.update(self._tokenise(missing))
        return [token for w in words for token in self._known[w]]

    def _tokenise(self, words: list[str]) -> dict[str, tuple[str, ...]]:
        self._conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)", enumerate(words))
        found: dict[int, list[str]] = {i: [] for i in range(len(words))}
        for row, token in self._conn.execute("SELECT doc, term FROM word_tokens ORDER BY doc, offset"):
            found[row].append(token)
        self._conn.execute("DELETE FROM words")
        return {w: tuple(found[i]) for i, w in enumerate(words)}
