"""The SQL of the PostgreSQL backend: schema, lexical ranking, and the statements a write
is made of. `index.postgres.store` runs them."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

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
    text TEXT NOT NULL, index_text TEXT NOT NULL, embed_text TEXT NOT NULL, embedding vector({dim}) NOT NULL,
    postings tsvector GENERATED ALWAYS AS (to_tsvector('english', index_text)) STORED
);
CREATE INDEX IF NOT EXISTS qa_sentences_by_document ON qa_sentences (document_id, position);
CREATE INDEX IF NOT EXISTS qa_sentences_postings ON qa_sentences USING gin (postings);
CREATE INDEX IF NOT EXISTS qa_sentences_embedding ON qa_sentences USING hnsw (embedding vector_ip_ops);
CREATE TABLE IF NOT EXISTS qa_feedback (
    id BIGSERIAL PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, helpful BOOLEAN NOT NULL,
    conversation_id TEXT, question TEXT, answer TEXT, document_id TEXT, comment TEXT, extra JSONB NOT NULL
);
"""
SENTENCE = "id, document_id, position, start_offset, end_offset, text"
DOCUMENT_INFO = ("d.id, d.title, d.url, d.metadata, d.checksum, d.created_at, d.updated_at, "
                 "(SELECT count(*) FROM qa_sentences s WHERE s.document_id = d.id), d.suggestions")
DOCUMENT = f"{DOCUMENT_INFO}, d.text"
# MATERIALIZED: each term's document frequency is counted once, not again for every matching row.
# BM25 with every term counted once per sentence (sentences rarely repeat a word): IDF from the
# postings, length from the sentence's lexeme count. PostgreSQL's own ts_rank has no IDF.
BM25_K1, BM25_B = 1.2, 0.75
LEXICAL = f"""
WITH terms AS MATERIALIZED (SELECT plainto_tsquery('english', t) AS q FROM unnest(%(terms)s::text[]) AS t),
weights AS MATERIALIZED (
    SELECT q, ln(1 + (%(total)s - df + 0.5) / (df + 0.5)) AS idf
    FROM (SELECT q, (SELECT count(*) FROM qa_sentences WHERE postings @@ q) AS df
          FROM terms WHERE numnode(q) > 0) AS counted)
SELECT s.id, (SELECT sum(w.idf) FROM weights w WHERE s.postings @@ w.q) * {BM25_K1 + 1}
       / (1 + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * length(s.postings) / %(avglen)s)) AS score
FROM qa_sentences s
WHERE s.postings @@ websearch_to_tsquery('english', %(any)s) {{filter}}
ORDER BY score DESC, s.id LIMIT %(k)s
"""

def vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


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
