"""Query latency, in one run: the bare model call (sentence-transformers on PyTorch for one
question + FAISS search) next to the whole service (`QAService.ask`: retrieval, reranking,
abstention) on each encoder backend, over the same index and distinct questions.

    python bench/latency.py                 # squad_dev corpus, 300 questions
    python bench/latency.py --url http://127.0.0.1:8000   # also /ask over HTTP on a running server
    python bench/latency.py --url http://127.0.0.1:8000 --url http://127.0.0.1:8001   # two servers

Prints p50/p95 in ms and each line's ratio to the bare model call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import SHARED, load, open_service  # noqa: E402

from index.embedder import load_embedder  # noqa: E402


def timed(fn: Callable[[str], object], questions: list[str]) -> list[float]:
    for q in questions[:10]:
        fn(q)  # warm-up: first calls pay for lazy initialisation
    out = []
    for q in questions[10:]:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def http_ask(url: str) -> Callable[[str], object]:
    def ask(question: str) -> object:
        req = urllib.request.Request(url.rstrip("/") + "/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()
    return ask


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "squad_dev" / "questions.jsonl")
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bench-data"))
    ap.add_argument("--url", action="append", default=[],
                    help="also time POST /ask on this running server (repeatable: one line per server)")
    ap.add_argument("--fake", action="store_true")
    args = ap.parse_args()
    service = open_service(args)
    questions = [q["question"] for q in load(args.questions)[: args.limit + 10]]
    torch = service.embedder if not args.fake else load_embedder("fake", service.settings.model)

    def bare(q: str) -> object:
        return service.vectors.search(torch.encode([q])[0], 10)

    rows: list[tuple[str, list[float]]] = [("bare model call (torch + FAISS)", timed(bare, questions)),
                                           ("service.ask, torch encoder", timed(service.ask, questions))]
    if not args.fake:
        service.embedder = load_embedder("onnx", service.settings.model, service.settings.threads,
                                         service.settings.data_dir / "models")
        rows.append(("service.ask, ONNX encoder", timed(service.ask, questions)))
    for url in args.url:
        rows.append((f"POST /ask {url}", timed(http_ask(url), questions)))
    base = statistics.median(rows[0][1])
    print(f"{'what':40} {'p50 ms':>7} {'p95 ms':>7} {'p50 ratio':>9}")
    for name, lat in rows:
        p50, p95 = statistics.median(lat), sorted(lat)[int(0.95 * len(lat))]
        print(f"{name:40} {p50:7.1f} {p95:7.1f} {p50 / base:9.2f}")
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
