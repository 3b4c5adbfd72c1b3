"""The SQL of the PostgreSQL backend: schema, and the statements a write is made of.
`index.postgres.store` runs them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from index.errors import StorageFull, StoreUnavailable

SCHEMA_LOCK = 0x5141  # advisory lock id: two processes starting together create the schema once
SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS qa_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qa_documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, url TEXT, metadata JSONB NOT NULL, text TEXT NOT NULL,
    checksum TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL
);
-- Suggested questions came later: databases made before them get the column here.
ALTER TABLE qa_documents ADD COLUMN IF NOT EXISTS suggestions JSONB NOT NULL DEFAULT '[]'::jsonb;
CREATE TABLE IF NOT EXISTS qa_sentences (
    id BIGSERIAL PRIMARY KEY, document_id TEXT NOT NULL REFERENCES qa_documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL,
    text TEXT NOT NULL, index_text TEXT NOT NULL, embed_text TEXT NOT NULL, embedding vector({dim}) NOT NULL
);
CREATE INDEX IF NOT EXISTS qa_sentences_by_document ON qa_sentences (document_id, position);
CREATE INDEX IF NOT EXISTS qa_sentences_embedding ON qa_sentences USING hnsw (embedding vector_ip_ops);
-- The lexical index (`index.postgres.postings`): each sentence's tokens, in order, as SQLite's FTS5
-- makes them. A table of its own: narrow rows, read without the sentences' vectors and texts.
CREATE TABLE IF NOT EXISTS qa_tokens (
    sentence_id BIGINT PRIMARY KEY REFERENCES qa_sentences(id) ON DELETE CASCADE, tokens TEXT[] NOT NULL
);
-- No pending list (fastupdate): each search scanned the not yet merged entries, ~1 ms a term.
CREATE INDEX IF NOT EXISTS qa_tokens_terms ON qa_tokens USING gin (tokens) WITH (fastupdate = off);
CREATE TABLE IF NOT EXISTS qa_feedback (
    id BIGSERIAL PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, helpful BOOLEAN NOT NULL,
    conversation_id TEXT, question TEXT, answer TEXT, document_id TEXT, comment TEXT, extra JSONB NOT NULL
);
"""
# Once per database, before its tokens are filled in (`index.postgres.postings.PgPostings.fill_tokens`):
# databases made before had PostgreSQL's English tsvector instead. Vectors are kept in the row (MAIN),
# not in the TOAST table as a wide row's were: an exact search reads every one, four times faster so.
TOKENS_SCHEMA = """
DROP INDEX IF EXISTS qa_sentences_postings;
ALTER TABLE qa_sentences DROP COLUMN IF EXISTS postings;
ALTER TABLE qa_sentences ALTER COLUMN embedding SET STORAGE MAIN;
"""
SENTENCE = "id, document_id, position, start_offset, end_offset, text"
DOCUMENT_INFO = ("d.id, d.title, d.url, d.metadata, d.checksum, d.created_at, d.updated_at, "
                 "(SELECT count(*) FROM qa_sentences s WHERE s.document_id = d.id), d.suggestions")
DOCUMENT = f"{DOCUMENT_INFO}, d.text"


def vector_literal(vector: np.ndarray) -> str:
    # Nine significant digits give back every float32 exactly (seven, as before, did not): the stored
    # vectors are the ones SQLite keeps, so the dense scores are the same.
    return "[" + ",".join(f"{x:.9g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def lock_document(cur: psycopg.Cursor[Any], document_id: str) -> None:
    # Writers of one document id queue up, across processes; others proceed.
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (document_id,))


def delete_rows(cur: psycopg.Cursor[Any], document_id: str) -> list[int]:
    removed = [int(r[0]) for r in cur.execute(
        "DELETE FROM qa_sentences WHERE document_id = %s RETURNING id", (document_id,))]
    cur.execute("DELETE FROM qa_documents WHERE id = %s", (document_id,))
    return removed


def bump_generation(cur: psycopg.Cursor[Any]) -> None:
    cur.execute("INSERT INTO qa_meta VALUES ('generation', '1') ON CONFLICT (key) "
                "DO UPDATE SET value = (qa_meta.value::bigint + 1)::text")


def no_nul(value: object) -> object:
    # PostgreSQL text cannot hold NUL; article text is cleaned of it upstream, free-form fields here.
    return value.replace("\x00", "") if isinstance(value, str) else value


def jsonb(value: dict[str, Any] | list[Any]) -> Jsonb:
    return Jsonb(scrub(value))


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(no_nul(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return no_nul(value)


def sentence_pages(cursor: Callable[[], AbstractContextManager[psycopg.Cursor[Any]]], column: str,
                   batch: int) -> Iterator[tuple[list[int], list[str]]]:
    """Every sentence's id and `column` (a name of ours, never a caller's text), `batch` rows at a
    time in id order, each page read in its own short cursor: a caller may write between pages."""
    last = -1
    while True:
        with cursor() as cur:
            rows = cur.execute(f"SELECT id, {column} FROM qa_sentences WHERE id > %s ORDER BY id LIMIT %s",
                               (last, batch)).fetchall()
        if not rows:
            return
        yield [r[0] for r in rows], [r[1] for r in rows]
        last = rows[-1][0]


@contextmanager
def cursor_of(conn: psycopg.Connection[Any], transaction: bool, failed: str) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor (in a transaction, if asked), with the server's failures as the index's errors:
    `failed` starts the message of an unavailable server (its own may name the host: kept out)."""
    try:
        with conn.transaction() if transaction else nullcontext(), conn.cursor() as cur:
            yield cur
    except psycopg.errors.DiskFull as exc:  # the transaction rolled back: nothing stored
        raise StorageFull("the database server's disk is full; nothing was stored") from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"{failed}: {type(exc).__name__}") from exc
