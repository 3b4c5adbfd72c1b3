"""Throughput, in one run: the plain pipeline's one-client rate (sentence-transformers on PyTorch
+ FAISS search, one question after another, in process) next to a running service under N
concurrent clients over HTTP (distinct questions, each client on its own connection).

    python -m bench.throughput --url http://127.0.0.1:8000 --clients 32 --seconds 30

Prints both rates, the service's latency percentiles and errors, and the ratio of the rates.
Start the server with QA_ANSWER_CACHE_SIZE=0 to measure work rather than cache hits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench._common import SHARED, load
from bench.load import add_arguments
from bench.load import run as load_run
from bench.quality import open_service


def plain_rate(args: argparse.Namespace, questions: list[str]) -> float:
    service = open_service(args)  # the same corpus and index the service answers from
    encoder, vectors = service.embedder, service.vectors
    for q in questions[:10]:
        vectors.search(encoder.encode([q])[0], 10)  # warm-up
    t0 = time.perf_counter()
    for q in questions[10:]:
        vectors.search(encoder.encode([q])[0], 10)
    rate = (len(questions) - 10) / (time.perf_counter() - t0)
    service.close()
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(ap, seconds=30.0)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--limit", type=int, default=210, help="questions for the plain pipeline's rate")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bench-data"))
    ap.add_argument("--fake", action="store_true")
    args = ap.parse_args()
    questions = [q["question"] for q in load(args.questions)]
    plain = plain_rate(args, questions[: args.limit])
    print(json.dumps({"plain pipeline, 1 client, answers_per_s": round(plain, 1)}))
    args.report = []
    status = asyncio.run(load_run(args))
    service_rate = args.report[0]["answers_per_s"]
    print(json.dumps({"service answers/s over plain 1-client answers/s": round(service_rate / plain, 2)}))
    return status


if __name__ == "__main__":
    sys.exit(main())
