"""Finding sentences in PostgreSQL exactly as SQLite + FAISS find them, so that the same store
contents give the same answers on either backend (issue #23): BM25 from the sentences' FTS5 tokens
(`index.postgres.postings`), and nearest vectors found by pgvector, then scored by FAISS itself
(`index.faiss.vectors.rescored`). A part of `PostgresStore`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg

from index import lexical
from index.cache import Memo
from index.faiss.vectors import rescored
from index.postgres import sql as pgsql
from index.postgres.postings import PgPostings

Ranking = list[tuple[int, float]]
# Best first by pgvector's score, ties by id (the ids FAISS keeps among equal scores). Not the HNSW
# index's order (`<#>` ascending), so every sentence is scored: the exact search FAISS does below
# `exact_up_to`.
_EXACT = ("WITH top AS (SELECT id, -(embedding <#> %(q)s::vector) AS score FROM qa_sentences "
          "ORDER BY score DESC, id LIMIT %(n)s) "
          "SELECT t.id, t.score, s.embedding::real[] FROM top t JOIN qa_sentences s ON s.id = t.id")


class Search:
    _conn: psycopg.Connection[Any]
    _postings: PgPostings
    _mentions: Memo[tuple[str, str | None], bool]
    dim: int
    exact_up_to: int  # as the SQLite backend's `ann_threshold`: up to this many sentences, exact search

    def _cursor(self, transaction: bool = False) -> AbstractContextManager[psycopg.Cursor[Any]]:
        raise NotImplementedError  # the store's

    def generation(self) -> int:
        raise NotImplementedError  # the store's

    @property
    def lock(self) -> AbstractContextManager[None]:
        raise NotImplementedError  # the store's

    def sentence_ids(self, document_id: str) -> list[int]:
        raise NotImplementedError  # the store's

    # --- lexical ----------------------------------------------------------------------------
    def lexical_search(self, text: str, k: int, document_id: str | None = None) -> Ranking:
        with self.lock:
            within = np.array(self.sentence_ids(document_id), dtype=np.int64) if document_id is not None else None
            return self._postings.search(lexical.query_terms(text), k, self.generation(), within)

    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        with self.lock:
            return self._postings.frequencies(words, self.generation())

    def mentions(self, phrase: str, document_id: str | None = None) -> bool:
        with self.lock:
            return self._mentions.get(self.generation(), (phrase, document_id),
                                      lambda: self._postings.contains(phrase, document_id))

    def count_sentences(self) -> int:
        with self.lock:
            return self._postings.totals(self.generation())[0]

    # --- dense ------------------------------------------------------------------------------
    def nearest(self, query: np.ndarray, k: int, only: list[int] | None = None) -> Ranking:
        """Best-first (id, cosine), as the SQLite backend's FAISS index answers: exactly, over
        everything or over `only`; above `exact_up_to` sentences, from the HNSW index's candidates."""
        if k <= 0 or (only is not None and not only):
            return []
        with self.lock:
            if only is not None:
                return rescored(*self._vectors("WHERE id = ANY(%(only)s::bigint[])", {"only": only}), query, k, only)
            count = self.count_sentences()
            if not count:
                return []
            exact = self.exact_up_to <= 0 or count <= self.exact_up_to
            return self._exact(query, k) if exact else self._approximate(query, k)

    def _exact(self, query: np.ndarray, k: int) -> Ranking:
        """pgvector's best, a few more than `k`, ranked again by FAISS. pgvector's float32 sums
        differ from FAISS's by rounding only, so when the last one fetched trails FAISS's k-th by more
        than any rounding could make up, nothing left behind could rank among the first `k`."""
        q, fetch = pgsql.vector_literal(query), 2 * k + 10
        rounding = 4 * len(query) * float(np.finfo(np.float32).eps)  # both sums' error bound, twice over
        while True:
            with self._cursor() as cur:
                rows = cur.execute(_EXACT, {"q": q, "n": fetch}, binary=True).fetchall()
            ids, matrix = _arrays([(r[0], r[2]) for r in rows], len(query))
            ranked = rescored(ids, matrix, query, k)
            if len(rows) < fetch or min(r[1] for r in rows) + rounding < ranked[-1][1]:
                return ranked
            fetch *= 4

    def _approximate(self, query: np.ndarray, k: int) -> Ranking:
        # Large stores: as FAISS turns approximate there (inverted lists), the HNSW index's candidates,
        # FAISS-scored; both find nearly all the true nearest, not always the same ones.
        with self._cursor() as cur, self._conn.transaction():
            # On small tables the planner would rather scan every row: cheap for it, 40 ms here.
            cur.execute("SET LOCAL enable_seqscan = off")
            rows = cur.execute("SELECT id, embedding::real[] FROM qa_sentences ORDER BY embedding <#> %s::vector "
                               "LIMIT %s", (pgsql.vector_literal(query), 2 * k + 10), binary=True).fetchall()
            cur.execute("RESET enable_seqscan")  # not for the rest of an answer's snapshot
        return rescored(*_arrays(rows, len(query)), query, k)

    def _vectors(self, where: str, args: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT id, embedding::real[] FROM qa_sentences {where}", args, binary=True).fetchall()
        return _arrays(rows, self.dim)


def _arrays(rows: list[Any], dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 matrix) of (id, vector) rows. Read in binary: every float32 exactly as stored."""
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.array([r[1] for r in rows], dtype=np.float32).reshape(len(rows), dim)
