"""SQLite store of documents and sentences: the source of truth everything else is rebuilt from.

Sentences keep their embedding vector as a blob, so the FAISS index can be rebuilt without the
model, and their indexed text in an FTS5 table for lexical search (see `index.lexical`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np

from index import lexical
from index.cache import Memo
from index.errors import CorruptFile, DocumentNotFound
from index.feedback import FIELDS, Feedback, as_dict
from index.sqlite.connection import StoreLock, Transaction, add_suggestions_column
from index.sqlite.postings import TOKENIZE, Postings
from index.sqlite.scans import Scans
from index.sqlite.schema import DOCUMENT_INFO, SCHEMA, decoded
from index.sqlite.seal import Seal
from index.types import DocumentInfo, NewDocument, NewSentence, StoredDocument, StoredSentence


class SqliteStore(Scans):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._seal = Seal(path)
        try:
            verified = self._seal.open()
        except CorruptFile:
            self._seal.close()
            raise
        # One connection shared across threads, serialised by our own lock.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.lock = StoreLock()
        # What every answer reads again (its candidates, their titles, the quoted context, whether
        # a name occurs at all), kept until the next write.
        self._sentences: Memo[int, StoredSentence] = Memo(100_000)
        self._titles: Memo[str, str] = Memo(100_000)
        self._urls: Memo[str, str | None] = Memo(100_000)
        self._slices: Memo[tuple[str, int, int], str] = Memo(100_000)
        self._mentions: Memo[tuple[str, str | None], bool] = Memo(100_000)
        self._article_ids: Memo[str, list[int]] = Memo(10_000)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed (acknowledged) write survives a crash or power loss.
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA.format(tokenize=TOKENIZE))
            add_suggestions_column(self._conn)
            # A file whose seal matched is known good; otherwise (first start after a crash) check it all.
            check = "quick_check" if verified else "integrity_check"
            if self._conn.execute(f"PRAGMA {check}").fetchone()[0] != "ok":
                raise CorruptFile(f"database {path} failed its integrity check")
            self._postings = Postings(self._conn)
        except (sqlite3.DatabaseError, CorruptFile) as exc:
            self._conn.close()
            self._seal.close()
            if isinstance(exc, CorruptFile):
                raise
            raise CorruptFile(f"database {path} is unreadable: {exc}") from exc

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        with self.lock:
            self._postings.close()
            self._conn.close()  # the last connection checkpoints the WAL into the file
            self._seal.close()

    # --- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        with self.lock:
            if self.lock.generation is None:
                self.lock.generation = int(self.get_meta("generation", "0") or 0)
            return self.lock.generation

    # --- writes -----------------------------------------------------------------------------
    def put_document(self, doc: NewDocument, vectors: np.ndarray) -> tuple[list[int], list[int]]:
        """Insert or replace a document in one transaction; returns (removed ids, added ids)."""
        return self._put_all([(doc, vectors)])[0]

    def put_documents(self, items: list[tuple[NewDocument, np.ndarray]],
                      save: bool = True) -> list[tuple[list[int], list[int]]]:
        """Insert or replace many documents in one transaction (one fsync and one generation for
        all of them: a bulk ingest's cost per document would otherwise be a commit); returns each
        one's (removed ids, added ids). `save` concerns a vector file: this store has none."""
        return self._put_all(items)

    def _put_all(self, items: list[tuple[NewDocument, np.ndarray]]) -> list[tuple[list[int], list[int]]]:
        # Not `put_documents`: a backend overriding that to keep its vectors in step calls this.
        if not items:  # nothing changes: the generation stays, so no other process reloads its index
            return []
        with self.lock, self._transaction():
            done = [self._put_rows(doc, vectors, time.time()) for doc, vectors in items]
            self._bump_generation()
        return done

    def _put_rows(self, doc: NewDocument, vectors: np.ndarray, now: float) -> tuple[list[int], list[int]]:
        created = self._conn.execute(
            "SELECT created_at FROM documents WHERE id = ?", (doc.id,)
        ).fetchone()
        removed = self._delete_rows(doc.id)
        created_at, updated_at = doc.stamps or (created[0] if created else now, now)
        self._conn.execute(
            "INSERT INTO documents(id, title, url, metadata, text, checksum, created_at, updated_at, suggestions)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.id, doc.title, doc.url, json.dumps(doc.metadata), doc.text, doc.checksum, created_at, updated_at,
             json.dumps(doc.suggestions)),
        )
        added = [self._insert_sentence(doc.id, i, s, vectors[i]) for i, s in enumerate(doc.sentences)]
        return removed, added

    def delete_document(self, document_id: str) -> list[int]:
        with self.lock, self._transaction():
            if not self._conn.execute("SELECT 1 FROM documents WHERE id = ?", (document_id,)).fetchone():
                raise DocumentNotFound(document_id)
            removed = self._delete_rows(document_id)
            self._bump_generation()
        return removed

    def replace_vectors(self, ids: list[int], vectors: np.ndarray) -> None:
        with self.lock, self._transaction():
            self._conn.executemany(
                "UPDATE sentences SET vector = ? WHERE id = ?",
                [(vectors[i].astype(np.float32).tobytes(), sid) for i, sid in enumerate(ids)],
            )
            self._bump_generation()

    def _insert_sentence(self, document_id: str, position: int, s: NewSentence, vector: np.ndarray) -> int:
        cur = self._conn.execute(
            'INSERT INTO sentences(document_id, position, start, "end", text, index_text, embed_text, vector)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (document_id, position, s.start, s.end, s.text, s.index_text, s.embed_text,
             np.asarray(vector, dtype=np.float32).tobytes()),
        )
        sentence_id = int(cur.lastrowid or 0)
        self._conn.execute("INSERT INTO postings(rowid, body) VALUES (?, ?)", (sentence_id, s.index_text))
        return sentence_id

    def _delete_rows(self, document_id: str) -> list[int]:
        ids = [r[0] for r in self._conn.execute(
            "SELECT id FROM sentences WHERE document_id = ?", (document_id,))]
        self._conn.executemany("DELETE FROM postings WHERE rowid = ?", [(i,) for i in ids])
        self._conn.execute("DELETE FROM sentences WHERE document_id = ?", (document_id,))
        self._conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        return ids

    def _bump_generation(self) -> None:
        self.lock.generation = None  # read again: the transaction may yet roll back
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _transaction(self) -> Transaction:
        return Transaction(self._conn)

    def add_feedback(self, item: Feedback, keep: int | None = None) -> int:
        """Store one item; with `keep`, drop the oldest so that at most `keep` rows remain."""
        with self.lock, self._transaction():
            cur = self._conn.execute(
                f"INSERT INTO feedback({', '.join(FIELDS[1:])}, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), *item.values(), json.dumps(item.extra or {})))
            new_id = int(cur.lastrowid or 0)
            if keep is not None:  # ids only grow, so the oldest are those keep or more below it
                self._conn.execute("DELETE FROM feedback WHERE id <= ?", (new_id - keep,))
        return new_id

    # --- reads ------------------------------------------------------------------------------
    def get_document(self, document_id: str) -> StoredDocument:
        with self.lock:
            row = self._conn.execute(f"SELECT {DOCUMENT_INFO}, d.text FROM documents d WHERE d.id = ?",
                                     (document_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(document_id)
        return StoredDocument(*decoded(row))

    def list_documents(self) -> list[DocumentInfo]:
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {DOCUMENT_INFO} FROM documents d ORDER BY d.created_at, d.id").fetchall()
        return [DocumentInfo(*decoded(r)) for r in rows]

    def document_ids(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self._conn.execute("SELECT id FROM documents ORDER BY created_at, id")]

    def has_document(self, document_id: str) -> bool:
        with self.lock:
            return self._conn.execute(
                "SELECT 1 FROM documents WHERE id = ?", (document_id,)).fetchone() is not None

    def sentences(self, ids: list[int]) -> dict[int, StoredSentence]:
        if not ids:
            return {}
        with self.lock:
            # The same candidate sentences come back question after question: read each once.
            known = self._sentences.at(self.generation())
            missing = [i for i in ids if i not in known]
            if missing:
                marks = ",".join("?" * len(missing))
                known.update((r[0], StoredSentence(*r)) for r in self._conn.execute(
                    f'SELECT id, document_id, position, start, "end", text FROM sentences WHERE id IN ({marks})',
                    missing))
            return {i: known[i] for i in ids if i in known}

    def document_sentences(self, document_id: str) -> list[StoredSentence]:
        with self.lock:
            rows = self._conn.execute(
                'SELECT id, document_id, position, start, "end", text FROM sentences '
                "WHERE document_id = ? ORDER BY position", (document_id,)).fetchall()
        return [StoredSentence(*r) for r in rows]

    def windows_of(self, ids: list[int]) -> dict[int, list[StoredSentence]]:
        """Each stored sentence among `ids` with its neighbours, in order, in one query. A document's
        sentences are inserted in one transaction, so their ids are consecutive: a neighbour is
        id - 1 or id + 1."""
        found = self.sentences(sorted({i + d for i in ids for d in (-1, 0, 1)}))
        return {i: [found[j] for j in (i - 1, i, i + 1) if j in found and found[j].document_id == found[i].document_id]
                for i in ids if i in found}

    def text_slice(self, document_id: str, start: int, end: int) -> str:
        def read() -> str:
            row = self._conn.execute("SELECT substr(text, ?, ?) FROM documents WHERE id = ?",
                                     (start + 1, end - start, document_id)).fetchone()
            if row is None:
                raise DocumentNotFound(document_id)
            return str(row[0])

        with self.lock:
            return self._slices.get(self.generation(), (document_id, start, end), read)

    def titles(self, document_ids: list[str]) -> dict[str, str]:
        return self._per_document(self._titles, "title", document_ids)

    def urls(self, document_ids: list[str]) -> dict[str, str | None]:
        """Each document's `url` (None where it has none), for showing where an answer came from."""
        return self._per_document(self._urls, "url", document_ids)

    def _per_document(self, memo: Memo[str, Any], column: str, document_ids: list[str]) -> dict[str, Any]:
        """One column of the documents table per id, remembered until the next write."""
        with self.lock:
            known = memo.at(self.generation())
            missing = [d for d in document_ids if d not in known]
            if missing:
                marks = ",".join("?" * len(missing))
                known.update(self._conn.execute(f"SELECT id, {column} FROM documents WHERE id IN ({marks})", missing))
            return {d: known[d] for d in document_ids if d in known}

    def mentions(self, phrase: str, document_id: str | None = None) -> bool:
        """Whether any sentence (of one document, or of all) holds the phrase."""
        with self.lock:
            return self._mentions.get(self.generation(), (phrase, document_id),
                                      lambda: lexical.contains_phrase(self._conn, phrase, document_id))

    def sentence_ids(self, document_id: str) -> list[int]:
        # A question about one article reads them twice (for FAISS and for BM25): read once.
        def read() -> list[int]:
            return [r[0] for r in self._conn.execute("SELECT id FROM sentences WHERE document_id = ?", (document_id,))]

        with self.lock:
            return list(self._article_ids.get(self.generation(), document_id, read))

    def lexical_search(self, text: str, k: int, document_id: str | None = None) -> list[tuple[int, float]]:
        """Best-first (sentence id, BM25 score) pairs; a higher score is a better match."""
        with self.lock:
            within = np.array(self.sentence_ids(document_id), dtype=np.int64) if document_id is not None else None
            return self._postings.search(lexical.query_terms(text), k, self.generation(), within)

    def document_frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        with self.lock:
            return self._postings.frequencies(words, self.generation())

    def recent_feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {', '.join(FIELDS)} FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [as_dict(r) for r in rows]

    def export_document(self, document_id: str) -> tuple[NewDocument, np.ndarray]:
        """A stored document as it was put, with its vectors: for copying into another backend."""
        doc = self.get_document(document_id)
        with self.lock:
            rows = self._conn.execute(
                'SELECT start, "end", text, index_text, embed_text, vector FROM sentences '
                "WHERE document_id = ? ORDER BY position", (document_id,)).fetchall()
        new = NewDocument(id=doc.id, title=doc.title, text=doc.text, checksum=doc.checksum,
                          sentences=[NewSentence(*r[:5]) for r in rows], url=doc.url, metadata=doc.metadata,
                          suggestions=doc.suggestions, stamps=(doc.created_at, doc.updated_at))
        vectors = [np.frombuffer(r[5], dtype=np.float32) for r in rows]
        return new, np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)

    def count_documents(self) -> int:
        with self.lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def count_sentences(self) -> int:
        with self.lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])
