"""Where a document write's costly part runs, so that it cannot starve readers or hold up a shutdown.

Cleaning and sentence splitting are pure and cost up to about 30 µs of a core a character (a minute
for a document at the 2,000,000 character budget, docs/security.md). In the serving process they
held the interpreter lock that every reader needs. Here a large document is prepared in one child
process at the lowest CPU priority: the OS gives the readers the cores first, and a shutdown kills
the child rather than waiting for it. Small documents (most articles) are prepared in place: for
them the round trip would cost more than the work.

Embedding stays in the serving process (a child would load the model a second time) but goes in
chunks, with a shutdown check between them, so readers' questions are embedded in between.
The store write stays there too: it holds the store's locks.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import numpy as np

from index.embedders.base import Embedder
from index.types import NewDocument
from qa.errors import Busy, NotReady, QAError
from qa.ingest.cleaning import Cleaned
from qa.ingest.ingestion import DocumentInput, prepare, prepare_cleaned
from qa.ingest.segmentation import Segmenter

NICENESS = 19  # the lowest priority: the child runs on what the readers leave
EMBED_CHUNK = 256  # sentences per encoder call: a reader's question waits for one chunk at most
RETRY_AFTER = 5  # seconds: about what a large write takes
PARENT_CHECK_SECONDS = 1.0
# Characters from which a document is prepared in the child: at the costliest 30 µs a character,
# 0.3 s of a core at most in place; most articles are below it, and the round trip is not free.
IN_CHILD_FROM = 10_000


def _start_child(parent: int) -> None:
    """In the child: the lowest priority, and an end of its own when the serving process is gone
    (killed with -9: the child holds both ends of its task queue, so it would wait for ever)."""
    os.nice(NICENESS)
    threading.Thread(target=_exit_with, args=(parent,), name="qa-ingest-parent", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)  # nothing to clean: the child holds no state and writes nothing


class IngestWorker:
    """At most `slots` writes in flight in this process (more are refused with `Busy`, 503), and
    the child process that prepares the large ones, started at the first and killed by `stop`."""

    def __init__(self, slots: int, min_chars: int = IN_CHILD_FROM) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._min_chars = min_chars
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Held for a whole write. Refused at once rather than queued: a queue of 1 MB documents
        would hold their bodies in memory and their clients' connections open."""
        if self._stopped.is_set():
            raise NotReady("the service is shutting down")
        if not self._slots.acquire(blocking=False):
            raise Busy("too many document writes in progress; retry later", retry_after=RETRY_AFTER)
        try:
            yield
        finally:
            self._slots.release()

    def prepare(self, doc: DocumentInput, segmenter: Segmenter) -> NewDocument:
        """`qa.ingest.ingestion.prepare`: cleaned (HTML extraction included) and split."""
        if len(doc.text) < self._min_chars:
            return prepare(doc, segmenter)
        return self._in_child(prepare, doc, segmenter)

    def prepare_cleaned(self, doc: DocumentInput, cleaned: Cleaned, segmenter: Segmenter) -> NewDocument:
        """`qa.ingest.ingestion.prepare_cleaned`, for a batch, which cleans first to skip what it stored."""
        if len(cleaned.text) < self._min_chars:
            return prepare_cleaned(doc, cleaned, segmenter)
        return self._in_child(prepare_cleaned, doc, cleaned, segmenter)

    def _in_child(self, work: Callable[..., NewDocument], *args: object) -> NewDocument:
        try:
            future = self._executor().submit(work, *args)
            if self._stopped.is_set():  # a stop that came while the pool started may have missed it
                self._discard()
            return future.result()
        except (BrokenProcessPool, CancelledError) as exc:
            if self._stopped.is_set():
                raise NotReady("the service is shutting down") from exc
            self._discard()  # it died (out of memory?): the next write starts a fresh one
            raise QAError("the document could not be prepared") from exc

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """The texts' vectors, a chunk at a time; stops between chunks once `stop` was called."""
        parts = []
        for start in range(0, len(texts), EMBED_CHUNK):
            if self._stopped.is_set():
                raise NotReady("the service is shutting down")
            parts.append(embedder.encode(texts[start:start + EMBED_CHUNK]))
        return np.concatenate(parts) if parts else embedder.encode(texts)

    def stop(self) -> None:
        """Ends the work in flight now: no write started before is acknowledged unless it already
        reached the store. Safe from a signal handler (it only sets a flag and kills a process)."""
        self._stopped.set()
        self._discard()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._stopped.is_set():
                raise NotReady("the service is shutting down")
            if self._pool is None:
                # spawn: the serving process has threads (uvicorn, the encoder), which fork copies badly.
                self._pool = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"), _start_child,
                                                 (os.getpid(),))
            return self._pool

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # The executor offers no way to end a task that runs (3.14 adds terminate_workers): kill the
        # child; its future fails with BrokenProcessPool and the waiting write ends.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
