"""PostgreSQL + pgvector backend, selected by `QA_DATABASE_URL`: documents, sentences, their vectors
(HNSW index) and lexical tokens in one database that any number of API processes share.

Nothing is kept in process memory but caches keyed by the generation counter (corpus statistics,
a term's postings), so a document written through one process is answerable through every other
at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np
import psycopg

from index.cache import Memo
from index.errors import DocumentNotFound, StoreError, StoreUnavailable
from index.feedback import FIELDS, Feedback, as_dict
from index.postgres import sql as pgsql
from index.postgres.postings import PgPostings
from index.postgres.search import Search
from index.types import DocumentInfo, NewDocument, StoredDocument, StoredSentence

log = logging.getLogger("index.postgres.store")


def read_meta(url: str, key: str) -> str | None:
    """One meta value of a database, read before the store is opened (to choose the encoder its
    vectors came from); None when the tables are not there yet."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute("SELECT value FROM qa_meta WHERE key = %s", (key,)).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    except psycopg.Error as exc:
        raise StoreUnavailable(f"cannot connect to PostgreSQL: {type(exc).__name__}") from exc
    return str(row[0]) if row else None


# pgvector's HNSW candidates per search (its default is 40): more finds the true nearest sentences
# at the sizes a newsroom keeps. A statement that runs longer than the timeout is a fault, not a load.
_SESSION_OPTIONS = "-c hnsw.ef_search=100 -c statement_timeout=30000"


class PostgresStore(Search):
    def __init__(self, url: str, dim: int) -> None:
        self._url, self.dim = url, dim
        self._options = _SESSION_OPTIONS
        # One connection per process, serialised by this lock, as with SQLite; processes scale out.
        self._mutex = threading.RLock()
        self._conn = self._connect()
        self._in_snapshot = False
        self._postings = PgPostings(self._cursor)
        self._mentions = Memo(100_000)
        self.exact_up_to = 100_000
        self._create_schema()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10, options=self._options)
        except psycopg.Error as exc:
            # The message may hold the host or user, never the password; still, keep it out of replies.
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {type(exc).__name__}") from exc

    def _create_schema(self) -> None:
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (pgsql.SCHEMA_LOCK,))
            try:
                cur.execute(pgsql.SCHEMA.format(dim=int(self.dim)).encode())
                row = cur.execute("SELECT atttypmod FROM pg_attribute WHERE attrelid = 'qa_sentences'::regclass "
                                  "AND attname = 'embedding'").fetchone()
                if filled := self._postings.fill_tokens():
                    log.warning("the lexical index of %d stored sentences was built again (FTS5 tokens)", filled)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", (pgsql.SCHEMA_LOCK,))
        if row is None or row[0] != self.dim:
            raise StoreError(f"the database holds {row[0] if row else '?'}-dimensional vectors; the model "
                             f"gives {self.dim}: use another database or the model it was built with")

    def cursor(self) -> AbstractContextManager[psycopg.Cursor[Any]]:
        """A cursor on this store's connection (autocommit), for companions such as `index.postgres.conversations`."""
        return self._cursor()

    @contextmanager
    def _cursor(self, transaction: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        with self._mutex:
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            with pgsql.cursor_of(self._conn, transaction, "PostgreSQL failed") as cur:
                yield cur

    @property
    def lock(self) -> AbstractContextManager[None]:
        return self._snapshot()

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        # Reads that make up one answer see one snapshot, even while other processes write.
        with self._mutex:
            if self._in_snapshot:
                yield
                return
            with self._cursor() as cur:
                cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._in_snapshot = True
            try:
                yield
            finally:
                self._in_snapshot = False
                with self._cursor() as cur:
                    cur.execute("COMMIT")

    def close(self) -> None:
        with self._mutex:
            self._postings.close()
            self._conn.close()

    # --- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._cursor() as cur:
            row = cur.execute("SELECT value FROM qa_meta WHERE key = %s", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._cursor() as cur:
            cur.execute("INSERT INTO qa_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, value))

    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    # --- writes -----------------------------------------------------------------------------
    def put_document(self, doc: NewDocument, vectors: np.ndarray) -> tuple[list[int], list[int]]:
        now = time.time()
        with self._cursor(transaction=True) as cur:
            pgsql.lock_document(cur, doc.id)
            created = cur.execute("SELECT created_at FROM qa_documents WHERE id = %s", (doc.id,)).fetchone()
            removed = pgsql.delete_rows(cur, doc.id)
            created_at, updated_at = doc.stamps or (created[0] if created else now, now)
            cur.execute("INSERT INTO qa_documents (id, title, url, metadata, text, checksum, created_at, updated_at, "
                        "suggestions) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (doc.id, doc.title, pgsql.no_nul(doc.url), pgsql.jsonb(doc.metadata), doc.text, doc.checksum,
                         created_at, updated_at, pgsql.jsonb(doc.suggestions)))
            ids = [int(r[0]) for r in cur.execute(
                "SELECT nextval('qa_sentences_id_seq') FROM generate_series(1, %s)", (len(doc.sentences),))]
            with cur.copy("COPY qa_sentences (id, document_id, position, start_offset, end_offset, text, "
                          "index_text, embed_text, embedding) FROM STDIN") as copy:
                for i, s in enumerate(doc.sentences):
                    copy.write_row((ids[i], doc.id, i, s.start, s.end, s.text, s.index_text, s.embed_text,
                                    pgsql.vector_literal(vectors[i])))
            with cur.copy("COPY qa_tokens (sentence_id, tokens) FROM STDIN") as copy:
                for i, tokens in enumerate(self._postings.tokens([s.index_text for s in doc.sentences])):
                    copy.write_row((ids[i], tokens))
            pgsql.bump_generation(cur)
        return removed, ids

    def delete_document(self, document_id: str) -> list[int]:
        with self._cursor(transaction=True) as cur:
            pgsql.lock_document(cur, document_id)
            if cur.execute("SELECT 1 FROM qa_documents WHERE id = %s", (document_id,)).fetchone() is None:
                raise DocumentNotFound(document_id)
            removed = pgsql.delete_rows(cur, document_id)
            pgsql.bump_generation(cur)
        return removed

    def replace_vectors(self, ids: list[int], vectors: np.ndarray) -> None:
        with self._cursor(transaction=True) as cur:
            cur.execute("UPDATE qa_sentences s SET embedding = v.e::vector FROM unnest(%s::bigint[], %s::text[]) "
                        "AS v(id, e) WHERE s.id = v.id", (ids, [pgsql.vector_literal(v) for v in vectors]))
            pgsql.bump_generation(cur)

    def add_feedback(self, item: Feedback, keep: int | None = None) -> int:
        """Store one item; with `keep`, drop the oldest so that at most `keep` rows remain (ids
        only grow; gaps left by other processes only make it keep fewer)."""
        with self._cursor(transaction=True) as cur:
            row = cur.execute(f"INSERT INTO qa_feedback({', '.join(FIELDS[1:])}, extra) VALUES "
                              "(%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                              (time.time(), *map(pgsql.no_nul, item.values()),
                               pgsql.jsonb(item.extra or {}))).fetchone()
            new_id = int(row[0]) if row else 0
            if keep is not None:
                cur.execute("DELETE FROM qa_feedback WHERE id <= %s", (new_id - keep,))
        return new_id

    # --- reads ------------------------------------------------------------------------------
    def get_document(self, document_id: str) -> StoredDocument:
        with self._cursor() as cur:
            row = cur.execute(f"SELECT {pgsql.DOCUMENT} FROM qa_documents d WHERE d.id = %s", (document_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(document_id)
        return StoredDocument(*row)

    def list_documents(self) -> list[DocumentInfo]:
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT {pgsql.DOCUMENT_INFO} FROM qa_documents d ORDER BY d.created_at, d.id").fetchall()
        return [DocumentInfo(*r) for r in rows]

    def document_ids(self) -> list[str]:
        with self._cursor() as cur:
            return [r[0] for r in cur.execute("SELECT id FROM qa_documents ORDER BY created_at, id").fetchall()]

    def has_document(self, document_id: str) -> bool:
        with self._cursor() as cur:
            return cur.execute("SELECT 1 FROM qa_documents WHERE id = %s", (document_id,)).fetchone() is not None

    def sentences(self, ids: list[int]) -> dict[int, StoredSentence]:
        if not ids:
            return {}
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT {pgsql.SENTENCE} FROM qa_sentences WHERE id = ANY(%s::bigint[])",
                               (ids,)).fetchall()
        found = {r[0]: StoredSentence(*r) for r in rows}
        return {i: found[i] for i in ids if i in found}  # in the order asked, as SQLite gives them

    def document_sentences(self, document_id: str) -> list[StoredSentence]:
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT {pgsql.SENTENCE} FROM qa_sentences WHERE document_id = %s ORDER BY position",
                               (document_id,)).fetchall()
        return [StoredSentence(*r) for r in rows]

    def windows_of(self, ids: list[int]) -> dict[int, list[StoredSentence]]:
        """Each stored sentence among `ids` with its neighbours by position: ids from several
        writing processes interleave, so, unlike in SQLite, a neighbour's id need not be id ± 1."""
        if not ids:
            return {}
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT s.id, {', '.join('n.' + c for c in pgsql.SENTENCE.split(', '))} FROM qa_sentences s "
                "JOIN qa_sentences n ON n.document_id = s.document_id "
                "AND n.position BETWEEN s.position - 1 AND s.position + 1 "
                "WHERE s.id = ANY(%s::bigint[]) ORDER BY s.id, n.position", (ids,)).fetchall()
        out: dict[int, list[StoredSentence]] = {}
        for row in rows:
            out.setdefault(row[0], []).append(StoredSentence(*row[1:]))
        # In the order asked, as SQLite gives them: candidates tied in fused rank keep it.
        return {i: out[i] for i in ids if i in out}

    def text_slice(self, document_id: str, start: int, end: int) -> str:
        with self._cursor() as cur:
            row = cur.execute("SELECT substr(text, %s, %s) FROM qa_documents WHERE id = %s",
                              (start + 1, end - start, document_id)).fetchone()
        if row is None:
            raise DocumentNotFound(document_id)
        return str(row[0])

    def titles(self, document_ids: list[str]) -> dict[str, str]:
        with self._cursor() as cur:
            return dict(cur.execute("SELECT id, title FROM qa_documents WHERE id = ANY(%s::text[])",
                                    (document_ids,)).fetchall())

    def urls(self, document_ids: list[str]) -> dict[str, str | None]:
        with self._cursor() as cur:
            return dict(cur.execute("SELECT id, url FROM qa_documents WHERE id = ANY(%s::text[])",
                                    (document_ids,)).fetchall())

    def sentence_ids(self, document_id: str) -> list[int]:
        with self._cursor() as cur:
            # By position, as SQLite reads them: FAISS scores an article's sentences in this order.
            return [r[0] for r in cur.execute("SELECT id FROM qa_sentences WHERE document_id = %s ORDER BY position",
                                              (document_id,))]

    def count_documents(self) -> int:
        with self._cursor() as cur:
            row = cur.execute("SELECT count(*) FROM qa_documents").fetchone()
        return int(row[0]) if row else 0

    def iter_embed_texts(self, batch: int = 512) -> Iterator[tuple[list[int], list[str]]]:
        return pgsql.sentence_pages(self._cursor, "embed_text", batch)

    def embedded(self, document_id: str) -> tuple[list[str], np.ndarray]:
        with self._cursor() as cur:
            rows = cur.execute("SELECT embed_text, embedding::real[] FROM qa_sentences WHERE document_id = %s "
                               "ORDER BY position", (document_id,), binary=True).fetchall()
        return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.float32) \
            if rows else np.zeros((0, 0), dtype=np.float32)

    def recent_feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT {', '.join(FIELDS)} FROM qa_feedback ORDER BY id DESC LIMIT %s",
                               (limit,)).fetchall()
        return [as_dict(r) for r in rows]
