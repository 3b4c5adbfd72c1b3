"""BM25 in PostgreSQL as SQLite computes it: each sentence keeps its tokens, in order, as FTS5's
tokenizer makes them (`qa_tokens`, a GIN-indexed text array per sentence), and `index.bm25` scores them
with FTS5's formula and statistics. So a store copied from SQLite (`qa migrate`) ranks its sentences
with the very same scores, and the answer decision, fitted on SQLite's, sees the same features.
PostgreSQL's own English stemmer and `ts_rank` gave other tokens, counts and lengths (issue #23)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg

from index import bm25
from index.postgres import sql as pgsql

Cursor = Callable[[], AbstractContextManager[psycopg.Cursor[Any]]]
TOKENS_META = "lexical_tokens"  # the tokenizer the stored tokens came from
# A sentence holds the phrase: all its tokens (the GIN index finds those), one after the other.
_PHRASE = ("SELECT {what} FROM qa_tokens t {join} WHERE t.tokens @> %(tokens)s::text[] AND EXISTS ("
           "SELECT 1 FROM unnest(array_positions(t.tokens, %(first)s)) AS p "
           "WHERE t.tokens[p:p + %(length)s - 1] = %(tokens)s::text[])")
_IN_DOCUMENT = "JOIN qa_sentences s ON s.id = t.sentence_id AND s.document_id = %(doc)s"
# Tokens hold no spaces (FTS5 splits at every one). The vector is written anew, the same floats, so
# that it moves into the row (MAIN storage).
_FILL = ("WITH v AS (SELECT * FROM unnest(%s::bigint[], %s::text[]) AS v(id, t)), "
         "moved AS (UPDATE qa_sentences s SET embedding = s.embedding::real[]::vector FROM v WHERE s.id = v.id) "
         "INSERT INTO qa_tokens SELECT id, string_to_array(t, ' ') FROM v "
         "ON CONFLICT (sentence_id) DO UPDATE SET tokens = EXCLUDED.tokens")


class PgPostings(bm25.Postings):
    """BM25 over the token arrays of `qa_tokens`. Callers hold the store's snapshot (`lock`)."""

    def __init__(self, cursor: Cursor, max_terms: int = 20_000) -> None:
        super().__init__(max_terms)
        self._cursor = cursor

    def tokens(self, texts: list[str]) -> list[list[str]]:
        """What a write stores for each sentence's indexed text."""
        return self._tokens.sequences(texts)

    def _rows(self, token: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._cursor() as cur:
            rows = cur.execute("SELECT sentence_id, cardinality(array_positions(tokens, %s)), cardinality(tokens) "
                               "FROM qa_tokens WHERE tokens @> ARRAY[%s]::text[]", (token, token)).fetchall()
        return (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64),
                np.array([r[2] for r in rows], dtype=np.float64))

    def _read_stats(self) -> tuple[int, float]:
        with self._cursor() as cur:
            # Every sentence has its row, with no tokens as well.
            row = cur.execute("SELECT count(*), coalesce(sum(cardinality(tokens)), 0) FROM qa_tokens").fetchone()
        count, tokens = (int(row[0]), int(row[1])) if row else (0, 0)
        return count, tokens / count if count else 1.0

    def _phrase_count(self, word: str) -> int:
        return self._phrase("count(*)", word, None) or 0

    def contains(self, text: str, document_id: str | None) -> bool:
        """Whether a sentence (of one document, or of any) holds the words of `text` in order, as
        `index.lexical.contains_phrase` finds them in FTS5."""
        return self._phrase("1", text, document_id) is not None

    def _phrase(self, what: str, text: str, document_id: str | None) -> int | None:
        tokens = bm25.phrase(text, self._tokens)
        if not tokens:
            return None
        sql = _PHRASE.format(what=what, join="" if document_id is None else _IN_DOCUMENT)
        args = {"tokens": tokens, "first": tokens[0], "length": len(tokens), "doc": document_id}
        with self._cursor() as cur:
            row = cur.execute(sql + " LIMIT 1", args).fetchone()
        return int(row[0]) if row else None

    def fill_tokens(self, batch: int = 2048) -> int:
        """Give every stored sentence its tokens, once, in a database made before they were kept
        (the caller holds the schema lock: processes starting together wait for the one at it);
        how many sentences it did."""
        with self._cursor() as cur:
            row = cur.execute("SELECT value FROM qa_meta WHERE key = %s", (TOKENS_META,)).fetchone()
        if row is not None and row[0] == bm25.TOKENIZE:
            return 0
        with self._cursor() as cur:
            cur.execute(pgsql.TOKENS_SCHEMA.encode())
        done = sum(len(ids) for ids in self._fill(batch))
        with self._cursor() as cur:
            if done:
                pgsql.bump_generation(cur)
            cur.execute("INSERT INTO qa_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (TOKENS_META, bm25.TOKENIZE))
        return done

    def _fill(self, batch: int) -> Iterator[list[int]]:
        for ids, texts in pgsql.sentence_pages(self._cursor, "index_text", batch):
            with self._cursor() as cur:
                cur.execute(_FILL, (ids, [" ".join(t) for t in self.tokens(texts)]))
            yield ids
