"""Micro-batching gives every caller its own row, coalesces concurrent callers, and passes errors on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder, Matrix
from index.embedders.batching import BatchingEmbedder


class Recording(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.threads: list[str] = []
        self.gate = threading.Event()

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        self.gate.wait(5)
        self.calls.append(len(texts))
        self.threads.append(threading.current_thread().name)
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


def test_the_one_core_encoder_takes_batches_and_any_question_asked_under_load() -> None:
    alone, shared = Recording(), Recording()
    alone.gate.set()
    shared.gate.set()
    batching = BatchingEmbedder(alone, shared=shared)
    with batching.load:  # one question being answered: the encoder may take every core
        assert not batching.load.busy
        batching.encode(["a lone question"])
        with batching.load:  # a second one meanwhile
            assert batching.load.busy
            batching.encode(["asked under load"])
    assert not batching.load.busy
    batching.close()
    assert alone.calls == [1] and shared.calls == [1]
    # The lone question never waited for the worker thread; the one under load was batched there.
    assert alone.threads == [threading.current_thread().name] and shared.threads == ["qa-encoder"]


def test_questions_answered_together_all_go_to_the_one_core_encoder() -> None:
    alone, shared = Recording(), Recording()
    alone.gate.set()
    shared.gate.set()
    batching = BatchingEmbedder(alone, shared=shared)
    together, embedded = threading.Barrier(8), threading.Barrier(8)

    def answer(question: str) -> Matrix:
        with batching.load:
            together.wait(120)  # all eight are being answered before any is embedded (a bound, not a timing)
            row = batching.encode([question])
            embedded.wait(120)  # and none is done before all are embedded: the last is not alone either
            return row

    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(answer, [f"question {i}" for i in range(8)]))
    batching.close()
    assert len(rows) == 8 and alone.calls == [] and sum(shared.calls) == 8
