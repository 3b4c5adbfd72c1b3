"""The SQLite store's tables, and how a row of document columns is read back."""

from __future__ import annotations

import json
from typing import Any

# DocumentInfo's fields in order; StoredDocument adds the text after them.
DOCUMENT_INFO = ("d.id, d.title, d.url, d.metadata, d.checksum, d.created_at, d.updated_at, "
                  "(SELECT COUNT(*) FROM sentences s WHERE s.document_id = d.id), d.suggestions")
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, url TEXT, metadata TEXT NOT NULL,
    text TEXT NOT NULL, checksum TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    suggestions TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS sentences (
    id INTEGER PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL, index_text TEXT NOT NULL, embed_text TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_by_document ON sentences(document_id, position);
CREATE VIRTUAL TABLE IF NOT EXISTS postings USING fts5(body, tokenize = '{tokenize}');
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, created_at REAL NOT NULL, helpful INTEGER NOT NULL,
    conversation_id TEXT, question TEXT, answer TEXT, document_id TEXT, comment TEXT, extra TEXT NOT NULL
);
"""


def decoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of `DOCUMENT_INFO` columns (then any more) with its metadata and suggestions JSON decoded."""
    return (*row[:3], json.loads(row[3]), *row[4:8], json.loads(row[8]), *row[9:])
