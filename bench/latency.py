"""Query latency, in one run: the bare model call (sentence-transformers on PyTorch for one
question + FAISS search) next to the whole service (`QAService.ask`: retrieval, reranking,
abstention) on each encoder backend, over the same index and distinct questions.

    python -m bench.latency                 # squad_dev corpus, 300 questions
    python -m bench.latency --url http://127.0.0.1:8000   # also /ask over HTTP on a running server
    python -m bench.latency --url http://127.0.0.1:8000 --url http://127.0.0.1:8001   # two servers

The variants take turns, ten questions at a time in rotating order, so a slow spell of this
shared machine slows all of them alike and the ratios hold. Over HTTP each question
is timed twice: on a new connection (as urllib opens one) and on a kept-alive one (as a browser
or an HTTP client library keeps). Prints p50/p95 in ms and each line's ratio to the bare call.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench._common import SHARED, load
from bench.quality import open_service
from index.embedders.base import Embedder
from index.embedders.batching import BatchingEmbedder
from index.embedders.loader import load_embedder


def interleaved(variants: list[tuple[str, Callable[[str], object]]], questions: list[str],
                block: int = 10) -> dict[str, list[float]]:
    """Every block of questions through every variant, the order rotating from block to block; the
    first block only warms up (lazy initialisation, caches of the sentences)."""
    out: dict[str, list[float]] = {name: [] for name, _ in variants}
    for n, start in enumerate(range(0, len(questions), block)):
        for name, fn in variants[n % len(variants):] + variants[: n % len(variants)]:
            # PyTorch's and ONNX Runtime's thread pools spin for a while after a call: a pause
            # between variants keeps one runtime's idle spinning out of the next one's timings.
            time.sleep(0.05)
            for q in questions[start:start + block]:
                t0 = time.perf_counter()
                fn(q)
                if n > 0:
                    out[name].append((time.perf_counter() - t0) * 1000)
    return out


def http_ask(url: str) -> Callable[[str], object]:
    def ask(question: str) -> object:
        req = urllib.request.Request(url.rstrip("/") + "/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()
    return ask


def http_ask_kept_alive(url: str) -> Callable[[str], object]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)

    def ask(question: str) -> object:
        try:
            return send(question)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # A server closes a connection left idle past its keep-alive timeout while the other
            # variants take their turn: open it again, as a client library would.
            conn.close()
            return send(question)

    def send(question: str) -> object:
        conn.request("POST", parts.path.rstrip("/") + "/ask", body=json.dumps({"question": question}),
                     headers={"Content-Type": "application/json"})
        return conn.getresponse().read()
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
        return service.backend.search(torch.encode([q])[0], 10)

    def with_encoder(embedder: Embedder) -> Callable[[str], object]:
        def ask(q: str) -> object:
            service.embedder = embedder
            return service.ask(q)
        return ask

    variants = [("bare model call (torch + FAISS)", bare), ("service.ask, torch encoder", with_encoder(torch))]
    if not args.fake:
        # Wrapped in the micro-batcher as the server wraps it: the same thread hand-offs.
        onnx = BatchingEmbedder(load_embedder("onnx", service.settings.model, service.settings.threads,
                                              service.settings.data_dir / "models"))
        variants.append(("service.ask, ONNX encoder", with_encoder(onnx)))
    for url in args.url:
        variants += [(f"POST /ask {url}", http_ask(url)), (f"  {url}, kept alive", http_ask_kept_alive(url))]
    rows = interleaved(variants, questions)
    base = statistics.median(rows[variants[0][0]])
    print(f"{'what':48} {'p50 ms':>7} {'p95 ms':>7} {'p50 ratio':>9}")
    for name, lat in rows.items():
        p50, p95 = statistics.median(lat), sorted(lat)[int(0.95 * len(lat))]
        print(f"{name:48} {p50:7.1f} {p95:7.1f} {p50 / base:9.2f}")
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
