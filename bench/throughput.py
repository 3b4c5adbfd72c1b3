"""Throughput, in one run: the plain pipeline's one-client rate (sentence-transformers on PyTorch
+ FAISS search, one question after another, in process) next to a running service under N
concurrent clients over HTTP (distinct questions, each client on its own connection).

    python -m bench.throughput --url http://127.0.0.1:8000 --clients 32 --seconds 30
    python -m bench.throughput --workers 1,2,4 --url http://127.0.0.1:8000 --clients 32

Prints both rates, the service's latency percentiles and errors, and the ratio of the rates.
Start the server with QA_ANSWER_CACHE_SIZE=0 to measure work rather than cache hits. With
--workers, it starts `qa serve` itself on --url's port, once per count (QA_WORKERS=N on the
--data-dir the plain pipeline filled, no answer cache), and stops it after each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from bench._common import SHARED, load, ready
from bench.load import add_arguments
from bench.load import run as load_run
from bench.quality import open_service
from index.embedders.base import Embedder
from index.protocols import VectorSearch


def plain_rate(args: argparse.Namespace, questions: list[str]) -> float:
    service = open_service(args)  # the same corpus and index the service answers from
    try:
        return one_stream_rate(service.embedder, service.backend, questions)
    finally:
        service.close()


def one_stream_rate(encoder: Embedder, vectors: VectorSearch, questions: list[str]) -> float:
    """Questions per second, one after another: embedded, then searched (the first ten warm up)."""
    for q in questions[:10]:
        vectors.search(encoder.encode([q])[0], 10)
    t0 = time.perf_counter()
    for q in questions[10:]:
        vectors.search(encoder.encode([q])[0], 10)
    return (len(questions) - 10) / (time.perf_counter() - t0)


@contextmanager
def serving(args: argparse.Namespace, workers: int) -> Iterator[None]:
    """`qa serve` with `workers` processes on the benchmark's data folder, ready, stopped afterwards."""
    env = {**os.environ, "QA_WORKERS": str(workers), "QA_DATA_DIR": str(args.data_dir),
           "QA_PORT": str(urlparse(args.url).port or 8000), "QA_ANSWER_CACHE_SIZE": "0",
           "QA_SEEDS_DIR": str(Path(__file__).resolve().parent.parent / "seeds")}
    if args.fake:
        env["QA_EMBEDDER"] = "fake"
    if args.threads is not None:
        env["QA_THREADS"] = str(args.threads)
    server = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not ready(args.url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"qa serve with {workers} workers did not become ready")
            time.sleep(0.5)
        yield
    finally:
        server.terminate()
        server.wait(timeout=60)



def measure(args: argparse.Namespace, plain: float, workers: int | None) -> int:
    if workers is not None and args.warmup > 0:
        # Not measured: every worker finishes starting and learning the stored words meanwhile
        # (/readyz answered from the first one ready).
        asyncio.run(load_run(argparse.Namespace(**{**vars(args), "seconds": args.warmup, "report": []})))
    args.report = []
    status = asyncio.run(load_run(args))
    service_rate = args.report[0]["answers_per_s"]
    shown = {"workers": workers} if workers is not None else {}
    print(json.dumps({**shown, "service answers/s over plain 1-client answers/s": round(service_rate / plain, 2)}))
    return status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(ap, seconds=30.0)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--limit", type=int, default=210, help="questions for the plain pipeline's rate")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bench-data"))
    ap.add_argument("--fake", action="store_true")
    ap.add_argument("--workers", help="comma-separated QA_WORKERS counts to start and measure in turn, e.g. 1,2,4")
    ap.add_argument("--threads", type=int, help="QA_THREADS of each started worker (default: the setting's)")
    ap.add_argument("--warmup", type=float, default=30.0, help="seconds of unmeasured load after each start")
    args = ap.parse_args()
    questions = [q["question"] for q in load(args.questions)]
    plain = plain_rate(args, questions[: args.limit])
    print(json.dumps({"plain pipeline, 1 client, answers_per_s": round(plain, 1)}))
    if not args.workers:
        return measure(args, plain, None)
    status = 0
    for workers in [int(w) for w in args.workers.split(",")]:
        with serving(args, workers):
            status |= measure(args, plain, workers)
    return status


if __name__ == "__main__":
    sys.exit(main())
