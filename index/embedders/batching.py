"""Micro-batching for the encoder: questions that arrive together are embedded in one call.

One worker thread takes whatever questions are waiting, embeds them as one batch and hands each
caller its row. Nothing waits on purpose: a lone question is embedded in its caller's thread, and
under load the questions that arrive while a batch runs form the next one. A batch saves less than
one might hope, because the transformer's work grows with the tokens; what matters more is where
the encoder runs: see `Load`. The measurements are in docs/decisions.md ("Encoding").
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import numpy as np

from index.embedders.base import Embedder, Matrix


class Load:
    """How many questions are being answered now, counted by the caller around each one. With one,
    the encoder may take every core; with more, the others are being ranked on some core, and an
    encoder spread over all of them waits at every layer for the thread the rankers displaced."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Load:
        with self._lock:
            self._count += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._count -= 1

    @property
    def busy(self) -> bool:
        return self._count > 1


# Questions encoded together at most: enough to drain a burst, small enough to keep one batch short.
MAX_BATCH = 32

class BatchingEmbedder:
    def __init__(self, inner: Embedder, shared: Embedder | None = None,
                 load: Load | None = None) -> None:
        self.inner = inner
        # `shared`: the encoder for when others are answered meanwhile (`load.busy`), one that
        # takes one core rather than all, so the rankers keep the other (docs/decisions.md).
        self.shared = shared or inner
        self.load = load or Load()
        self.name, self.dim = inner.name, inner.dim
        self._max = MAX_BATCH
        self._waiting = 0  # single questions inside encode(), queued or not
        self._waiting_lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]] | None] = queue.SimpleQueue()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="qa-encoder", daemon=True)
        self._worker.start()

    def encode(self, texts: list[str], batch_size: int | None = None) -> Matrix:
        if len(texts) != 1 or self._closed:  # ingestion batches already; after close, no worker waits
            # The encoder's own batch size unless one is asked for: ONNX runs 32 at a time
            # faster than the protocol's 64 (onnx_encoder), and ingestion comes through here.
            return self.inner.encode(texts) if batch_size is None else self.inner.encode(texts, batch_size)
        with self._waiting_lock:
            self._waiting += 1
            alone = self._waiting == 1 and not self.load.busy
        try:
            # Nothing to batch it with: no hand-off to the worker thread, which costs a thread switch.
            return self.inner.encode(texts) if alone else self._queued(texts[0])
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def _queued(self, text: str) -> Matrix:
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return future.result().reshape(1, -1)

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._worker.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._encode(batch)

    def _encode(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        try:
            # One core unless this lone question is the only one anywhere near the encoder.
            crowded = len(batch) > 1 or self.load.busy or self._waiting > len(batch)
            encoder = self.shared if crowded else self.inner
            rows = encoder.encode([text for text, _ in batch])
        except Exception as exc:  # every waiting caller gets the error, none hangs
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), row in zip(batch, rows, strict=True):
            future.set_result(row)
