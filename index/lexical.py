"""Lexical lookups in the sentences' FTS5 postings (Porter-stemmed); BM25 ranking is in `index.bm25`."""

from __future__ import annotations

import re
import sqlite3

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# Very common words match nearly every sentence: they add cost to an OR query and no ranking signal.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours out over own same
    she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up very was we were what when where which while who whom why
    will with would you your yours""".split()
)


def query_terms(text: str, stopwords: bool = True) -> list[str]:
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower()):
        if not (stopwords and token in STOPWORDS):
            seen.setdefault(token, None)
    return list(seen)


def contains_phrase(conn: sqlite3.Connection, text: str, document_id: str | None = None) -> bool:
    """Whether any sentence holds all the words of `text`, in order (stemmed)."""
    terms = query_terms(text, stopwords=False)
    if not terms:
        return False
    match = _quote(" ".join(terms))
    if document_id is None:
        row = conn.execute("SELECT 1 FROM postings WHERE postings MATCH ? LIMIT 1", (match,)).fetchone()
    else:
        row = conn.execute("SELECT 1 FROM postings p JOIN sentences s ON s.id = p.rowid "
                           "WHERE postings MATCH ? AND s.document_id = ? LIMIT 1", (match, document_id)).fetchone()
    return row is not None


def sentences_with(conn: sqlite3.Connection, text: str) -> int:
    """How many sentences hold the words of `text`, in order (stemmed as the index stems them)."""
    terms = query_terms(text, stopwords=False)
    if not terms:
        return 0
    return int(conn.execute("SELECT COUNT(*) FROM postings WHERE postings MATCH ?",
                            (_quote(" ".join(terms)),)).fetchone()[0])


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'
