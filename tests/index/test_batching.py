"""Micro-batching gives every caller its own row, coalesces concurrent callers, and passes errors on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.batching import BatchingEmbedder
from index.embedder import FakeEmbedder, Matrix


class Recording(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.gate = threading.Event()

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        self.gate.wait(5)
        self.calls.append(len(texts))
        if "boom" in texts:
            raise RuntimeError("encoder failed")
        return super().encode(texts, batch_size)


def test_concurrent_questions_share_calls_and_get_their_own_rows() -> None:
    inner = Recording()
    batching = BatchingEmbedder(inner)
    questions = [f"question number {i} about harbours" for i in range(24)]
    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(batching.encode, [q]) for q in questions]
        inner.gate.set()  # the first call was held: the rest queued up behind it meanwhile
        rows = [f.result() for f in futures]
    batching.close()
    expected = FakeEmbedder().encode(questions)
    assert all(np.allclose(row[0], expected[i]) for i, row in enumerate(rows))
    assert sum(inner.calls) == 24 and len(inner.calls) < 24


def test_an_encoder_error_reaches_every_caller_and_batches_pass_through() -> None:
    inner = Recording()
    inner.gate.set()
    batching = BatchingEmbedder(inner)
    with pytest.raises(RuntimeError, match="encoder failed"):
        batching.encode(["boom"])
    assert batching.encode(["fine"]).shape == (1, inner.dim)  # the worker survived
    assert batching.encode(["a", "b", "c"]).shape == (3, inner.dim)
    batching.close()
