"""Load test: N concurrent clients asking distinct questions of a running server for a bounded
time, printing answers per second, latency percentiles and errors (429s counted apart).

    python -m bench.load --url http://127.0.0.1:8000 --clients 32 --seconds 60

Only for servers on this machine (loopback); it stops by itself after --seconds or --max-requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bench._common import SHARED


async def client(http: httpx.AsyncClient, questions: list[str], offset: int, deadline: float,
                 budget: list[int], results: list[tuple[float, int]]) -> None:
    i = offset
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        question = questions[i % len(questions)]
        i += 7
        t0 = time.perf_counter()
        try:
            status = (await http.post("/ask", json={"question": question})).status_code
        except httpx.HTTPError:
            status = 0
        results.append(((time.perf_counter() - t0) * 1000, status))


async def run(args: argparse.Namespace) -> int:
    host = urlparse(args.url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        print("refusing: load tests only target this machine (loopback)", file=sys.stderr)
        return 2
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    results: list[tuple[float, int]] = []
    budget = [args.max_requests]
    limits = httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(base_url=args.url, timeout=30, limits=limits) as http:
        started = time.monotonic()
        deadline = started + args.seconds
        await asyncio.gather(*(client(http, questions, k * 31, deadline, budget, results)
                               for k in range(args.clients)))
        elapsed = time.monotonic() - started
    ok = sorted(ms for ms, status in results if status == 200)
    limited = sum(status == 429 for _, status in results)
    errors = len(results) - len(ok) - limited

    def pct(p: float) -> float:
        return ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")

    report = {"clients": args.clients, "seconds": round(elapsed, 1), "requests": len(results),
              "answers_per_s": round(len(ok) / elapsed, 1), "p50_ms": round(pct(0.5), 1),
              "p95_ms": round(pct(0.95), 1), "p99_ms": round(pct(0.99), 1),
              "mean_ms": round(statistics.fmean(ok), 1) if ok else None, "rate_limited": limited, "errors": errors}
    print(json.dumps(report))
    getattr(args, "report", []).append(report)  # for bench/throughput.py, which runs this in process
    return 0 if errors == 0 else 1


def add_arguments(ap: argparse.ArgumentParser, seconds: float) -> None:
    """The load options, shared with bench/throughput.py."""
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--questions", type=Path, default=SHARED / "squad_dev" / "questions.jsonl")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(ap, seconds=60.0)
    return asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
