"""The service right after a restart on a large store, as readers meet it: `qa serve` with
--workers processes is started on a data folder and stopped (its first start), started again,
and from the moment /readyz answers, --clients concurrent clients ask distinct questions for
--seconds. Printed beside the plain pipeline's one-client rate on the same store (the
sentence-transformers encoder on PyTorch + FAISS search, in process, one question after another).

    QA_DATA_DIR=/tmp/arch qa ingest /tmp/archive.jsonl
    python -m bench.restart --data-dir /tmp/arch --workers 2 --clients 32 --seconds 30 \\
        --url http://127.0.0.1:18300

The server runs with no answer cache. Compare ratios of one run, never times across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench._common import load
from bench.load import add_arguments
from bench.load import run as load_run
from bench.throughput import one_stream_rate, serving
from index.embedders.loader import load_embedder
from qa.settings import Settings
from qa.startup import adapter_path, open_parts


def plain_rate(data_dir: Path, questions: list[str]) -> float:
    """Questions per second through a PyTorch encoder and the store's FAISS index, in process."""
    settings = Settings(data_dir=data_dir, encoder_batching=False)
    _, backend = open_parts(settings, None)  # the store as the service opens it, vectors as they are
    torch = load_embedder("sentence-transformers", settings.model, cache_dir=data_dir / "models",
                          adapter=adapter_path(settings))
    try:
        return one_stream_rate(torch, backend, questions)
    finally:
        backend.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(ap, seconds=30.0)
    ap.add_argument("--data-dir", type=Path, required=True, help="a store filled beforehand (qa ingest)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=210, help="questions for the plain pipeline's rate")
    ap.add_argument("--threads", type=int, help="QA_THREADS of each worker (default: the setting's)")
    args = ap.parse_args()
    args.fake = False
    plain = plain_rate(args.data_dir, [q["question"] for q in load(args.questions)][: args.limit])
    print(json.dumps({"plain pipeline, 1 client, answers_per_s": round(plain, 1)}))
    with serving(args, args.workers):
        pass  # the first start: whatever a start does once is done
    started = time.monotonic()
    with serving(args, args.workers):
        print(json.dumps({"restart to ready, s": round(time.monotonic() - started, 1)}))
        args.report = []
        status = asyncio.run(load_run(args))
    rate = args.report[0]["answers_per_s"]
    ratio = round(rate / plain, 2)
    print(json.dumps({"workers": args.workers, "service answers/s over plain 1-client answers/s": ratio}))
    return status


if __name__ == "__main__":
    sys.exit(main())
