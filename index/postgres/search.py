"""Finding sentences in PostgreSQL: BM25 over the full-text postings (`index.postgres.sql.LEXICAL`)
and nearest vectors with pgvector. A part of `PostgresStore`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg

from index import lexical
from index.postgres import sql as pgsql


class Search:
    _conn: psycopg.Connection[Any]
    _stats: tuple[int, tuple[int, float]] | None

    def _cursor(self, transaction: bool = False) -> AbstractContextManager[psycopg.Cursor[Any]]:
        raise NotImplementedError  # the store's

    def generation(self) -> int:
        raise NotImplementedError  # the store's

    def lexical_search(self, text: str, k: int, document_id: str | None = None) -> list[tuple[int, float]]:
        terms = lexical.query_terms(text)
        if not terms:
            return []
        total, avglen = self._corpus_stats()
        args: dict[str, object] = {"terms": terms, "total": total, "avglen": avglen, "any": " or ".join(terms),
                                   "k": k, "doc": document_id}
        sql = pgsql.LEXICAL.format(filter="" if document_id is None else "AND s.document_id = %(doc)s")
        with self._cursor() as cur:
            return [(int(r[0]), float(r[1])) for r in cur.execute(sql, args) if r[1] is not None]

    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        counts = {}
        with self._cursor() as cur:
            for word in words:
                row = cur.execute("SELECT count(*) FROM qa_sentences WHERE postings @@ phraseto_tsquery('english', %s)",
                                  (word,)).fetchone()
                counts[word] = int(row[0]) if row else 0
        return counts, self._corpus_stats()[0]

    def _corpus_stats(self) -> tuple[int, float]:
        # Sentence count and mean length change only with a write, which bumps the generation.
        generation = self.generation()
        if self._stats is None or self._stats[0] != generation:
            with self._cursor() as cur:
                row = cur.execute("SELECT count(*), coalesce(avg(length(postings)), 1) FROM qa_sentences").fetchone()
            self._stats = (generation, (int(row[0]), max(float(row[1]), 1.0)) if row else (0, 1.0))
        return self._stats[1]

    def nearest(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        """Best-first (id, cosine): the HNSW index over everything, or exactly over `only`
        (one article's sentences: an approximate scan would filter after the fact and lose hits)."""
        if k <= 0 or (only is not None and not only):
            return []
        q = pgsql.vector_literal(query)
        with self._cursor() as cur:
            if only is None:
                # On small tables the planner would rather scan every row: cheap for it, 40 ms here.
                with self._conn.transaction():
                    cur.execute("SET LOCAL enable_seqscan = off")
                    rows = cur.execute("SELECT id, -(embedding <#> %s::vector) FROM qa_sentences "
                                       "ORDER BY embedding <#> %s::vector LIMIT %s", (q, q, k)).fetchall()
            else:
                rows = cur.execute("SELECT id, -(embedding <#> %s::vector) AS score FROM qa_sentences "
                                   "WHERE id = ANY(%s::bigint[]) ORDER BY score DESC LIMIT %s", (q, only, k)).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

