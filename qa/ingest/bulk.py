"""Bulk ingest: an archive's documents streamed through cleaning and segmentation, embedded across
documents in large length-sorted batches, written many to a transaction, added to the vector index
together, and the vector file saved once per run rather than once per document.

Memory stays bounded whatever the archive's size: documents are read one at a time, and at most
`batch_sentences` sentences (with their documents and vectors) wait for the encoder at once.

Run again after an interruption, it resumes: a document stored with the same content is recognised
by its checksum before it is segmented or embedded, and skipped. One document's failure (a bad line,
no text, an id taken by other content) is reported with its position and name; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from index.embedders.base import Embedder
from index.types import NewDocument, StoredDocument
from qa.errors import DocumentNotFound, NotReady, QAError
from qa.ingest.cleaning import clean_document
from qa.ingest.ingestion import DocumentInput, identity, prepare_cleaned
from qa.ingest.segmentation import Segmenter
from qa.ingest.worker import IngestWorker


class Learner(Protocol):
    def learn_article(self, text: str) -> None: ...


class Target(Protocol):
    """What bulk ingest writes through: a `QAService`, described here so that ingest/ needs nothing
    above it."""

    @property
    def ingest(self) -> IngestWorker: ...
    @property
    def segmenter(self) -> Segmenter: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def relatedness(self) -> Learner: ...
    def get(self, document_id: str) -> StoredDocument: ...
    def put_prepared(self, items: list[tuple[NewDocument, np.ndarray]], save: bool = True) -> list[bool]: ...

# Sentences per encoder call: long enough that sorting by length leaves little padding, short enough
# that progress moves and one call's tensors stay small.
ENCODE_CHUNK = 256
KEPT_FAILURES = 1000  # named in the report; beyond that only counted (an archive of bad lines)


@dataclass(frozen=True)
class Entry:
    """One document of an input, or why it could not be read."""

    position: int  # 1-based: a JSONL line, a file's place in the listing, an item of a request
    name: str  # its id, file or line: what a failure is reported under
    document: DocumentInput | None = None
    error: str | None = None


@dataclass(frozen=True)
class Failure:
    position: int
    name: str
    message: str


@dataclass
class Report:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    failed: int = 0
    sentences: int = 0  # embedded and stored by this run
    failures: list[Failure] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.added + self.replaced + self.unchanged + self.failed


@dataclass
class _Pending:
    entry: Entry
    document: NewDocument


@dataclass
class BulkIngest:
    service: Target
    replace_existing: bool = False
    batch_sentences: int = 2048
    # The articles' words embedded at ingest (and kept by the service for its next start), rather than
    # by every server process after a restart.
    learn_words: bool = True
    isolated: bool = False  # large documents split in the service's niced child (a server; not `qa ingest`)
    on_progress: Callable[[Report], None] | None = None
    on_failure: Callable[[Failure], None] | None = None
    # Each document stored or found stored: its id, the entry's name and "added", "replaced" or
    # "unchanged", so that a caller can say which id a file was given.
    on_stored: Callable[[str, str, str], None] | None = None
    report: Report = field(default_factory=Report)
    _pending: list[_Pending] = field(default_factory=list)
    _size: int = 0
    _unsaved: bool = False  # a batch was stored with the vector file left for the run's last one

    def run(self, entries: Iterable[Entry]) -> Report:
        for entry in entries:
            found = self._prepared(entry)
            if found is None:
                continue
            self._pending.append(found)
            self._size += len(found.document.sentences)
            if self._size >= self.batch_sentences:
                self._flush(save=False)
        self._flush(save=True)
        return self.report

    def _prepared(self, entry: Entry) -> _Pending | None:
        """The entry cleaned and segmented, or None when it failed or is stored as is already."""
        if entry.document is None:
            self._fail(entry, entry.error or "unreadable")
            return None
        try:
            doc = entry.document
            cleaned = clean_document(doc.text, doc.format, doc.title)
            document_id, checksum = identity(doc, cleaned)
            if any(p.document.id == document_id for p in self._pending):
                self._flush(save=False)  # the same id again: the earlier one is stored before this one is judged
            if self._unchanged(document_id, checksum, doc.url or cleaned.url):
                self.report.unchanged += 1
                self._stored(document_id, entry, "unchanged")
                self._progress()
                return None
            if self.isolated:  # a server's batch: split where it cannot starve readers (qa/ingest/worker.py)
                return _Pending(entry, self.service.ingest.prepare_cleaned(doc, cleaned, self.service.segmenter))
            return _Pending(entry, prepare_cleaned(doc, cleaned, self.service.segmenter))
        except NotReady:
            raise  # the server is stopping: the batch ends here, not one failure per document left
        except QAError as exc:
            self._fail(entry, str(exc))
            return None

    def _unchanged(self, document_id: str, checksum: str, url: str | None) -> bool:
        try:
            current = self.service.get(document_id)
        except DocumentNotFound:
            return False
        if current.checksum == checksum and current.url == url:
            return True
        if not self.replace_existing:
            raise QAError(f"document {document_id!r} exists with other content; replace it to change it")
        return False

    def _flush(self, save: bool) -> None:
        pending, self._pending, self._size = self._pending, [], 0
        embedded = [(p, v) for p, v in zip(pending, self._embed(pending), strict=True) if v is not None]
        created = self._store([(p.document, v) for p, v in embedded], save)
        for (p, _), new in zip(embedded, created, strict=True):
            self.report.sentences += len(p.document.sentences)
            if new:
                self.report.added += 1
            else:
                self.report.replaced += 1
            self._stored(p.document.id, p.entry, "added" if new else "replaced")
            if self.learn_words:
                self.service.relatedness.learn_article(p.document.text)
        self._progress()

    def _store(self, items: list[tuple[NewDocument, np.ndarray]], save: bool) -> list[bool]:
        """Nothing to store (a re-sent batch, a re-run: all unchanged) is no write: the store's
        generation stays, so no worker reloads its index or drops its answer cache for it. Only
        a vector file left unsaved by an earlier batch is still saved at the end."""
        if not items and not (save and self._unsaved):
            return []
        created = self.service.put_prepared(items, save=save)
        self._unsaved = not save
        return created

    def _embed(self, pending: list[_Pending]) -> list[np.ndarray | None]:
        """Each document's vectors, embedded together; should the encoder refuse the batch, one
        document at a time, so that the one it refuses is named and the others are stored."""
        try:
            return _split(embed_sorted(self.service, [s.embed_text for p in pending for s in p.document.sentences]),
                          [len(p.document.sentences) for p in pending])
        except Exception:  # whatever the encoder raised: found out below, one document at a time
            if len(pending) == 1:
                raise
        return [self._embed_one(p) for p in pending]

    def _embed_one(self, pending: _Pending) -> np.ndarray | None:
        try:
            return embed_sorted(self.service, [s.embed_text for s in pending.document.sentences])
        except Exception as exc:
            self._fail(pending.entry, f"could not be embedded: {exc}")
            return None

    def _fail(self, entry: Entry, message: str) -> None:
        failure = Failure(entry.position, entry.name, message)
        self.report.failed += 1
        if len(self.report.failures) < KEPT_FAILURES:
            self.report.failures.append(failure)
        if self.on_failure is not None:
            self.on_failure(failure)
        self._progress()

    def _stored(self, document_id: str, entry: Entry, outcome: str) -> None:
        if self.on_stored is not None:
            self.on_stored(document_id, entry.name, outcome)

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.report)


def embed_sorted(service: Target, texts: list[str]) -> np.ndarray:
    """Vectors of `texts` in their order, embedded shortest first in chunks of similar length (a
    chunk is padded to its longest text, so mixed lengths would waste much of the work), and each
    distinct text once (an archive repeats its boilerplate lines: "Share this story", credits)."""
    distinct = sorted(set(texts), key=lambda t: (len(t), t))  # in a stable order: runs repeat exactly
    vectors = np.empty((len(distinct), service.embedder.dim), dtype=np.float32)
    for start in range(0, len(distinct), ENCODE_CHUNK):
        vectors[start:start + ENCODE_CHUNK] = service.embedder.encode(distinct[start:start + ENCODE_CHUNK])
    row = {text: i for i, text in enumerate(distinct)}
    return vectors[[row[t] for t in texts]]


def _split(matrix: np.ndarray, sizes: list[int]) -> list[np.ndarray | None]:
    bounds = np.cumsum([0, *sizes])
    return [matrix[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
