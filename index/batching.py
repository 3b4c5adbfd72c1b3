"""Micro-batching for the encoder: questions that arrive together are embedded in one call.

One worker thread takes whatever questions are waiting, embeds them as one batch and hands each
caller its row. Nothing waits on purpose: a lone question goes straight through, and under load
the questions that arrive while a batch runs form the next one. A batch of 16 short questions
costs a fraction of 16 single calls, and the encoder releases the GIL meanwhile.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import numpy as np

from index.embedder import Embedder, Matrix


class BatchingEmbedder:
    def __init__(self, inner: Embedder, max_batch: int = 32) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self._max = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]] | None] = queue.SimpleQueue()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="qa-encoder", daemon=True)
        self._worker.start()

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        if len(texts) != 1 or self._closed:  # ingestion batches already; after close, no worker waits
            return self.inner.encode(texts, batch_size)
        future: Future[np.ndarray] = Future()
        self._queue.put((texts[0], future))
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
            rows = self.inner.encode([text for text, _ in batch])
        except Exception as exc:  # every waiting caller gets the error, none hangs
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), row in zip(batch, rows, strict=True):
            future.set_result(row)
