"""Measure a running service's answers over HTTP on a question set (standard library only).

    python -m bench.evaluate --questions tests/data/seed_questions.jsonl
    python -m bench.evaluate --url http://127.0.0.1:8000 --corpus my_articles.jsonl \\
        --admin-key "$QA_ADMIN_KEY" --questions my_questions.jsonl --show-misses 5

Corpus (JSONL, optional): one document per line, the body of `POST /documents`
({"id", "title", "text", ...}); it is posted first. Questions (JSONL), one per line:
    {"id", "question", "document_id"?, "expect": ["substring", ...]}   answerable, by substring
    {"id", "question", "document_id"?, "gold": ["sentence", ...]}      answerable, by word overlap
    {"id", "question", "answerable": false}                            the service must abstain
    {"id", "turns": [question, question, ...]}                         one conversation

A passage is right when it contains an "expect" substring or shares at least half of its words
(Jaccard) with a "gold" sentence, ignoring case and runs of white space. Prints one JSON line:
p_at_1, mrr (first right passage among top_k), answer_accuracy (answered, and right),
answered_rate, abstain_accuracy, followup_accuracy (turns after the first), errors, latency.
Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_WORD = re.compile(r"\w+")
Question = dict[str, Any]


def flat(text: str) -> str:
    return " ".join(text.lower().split())


def is_right(passage: str, q: Question) -> bool:
    if "expect" in q:
        return any(flat(e) in flat(passage) for e in q["expect"])
    words = set(_WORD.findall(passage.lower()))
    for gold in q.get("gold", []):
        wanted = set(_WORD.findall(gold.lower()))
        if words and wanted and len(words & wanted) / len(words | wanted) >= 0.5:
            return True
    return False


def read_jsonl(path: Path) -> list[Question]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Client:
    url: str
    admin_key: str | None = None
    timeout: float = 60.0
    latencies_ms: list[float] = field(default_factory=list)

    def post(self, path: str, body: dict[str, Any], admin: bool = False) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(self.url.rstrip("/") + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        if admin and self.admin_key:
            request.add_header("Authorization", f"Bearer {self.admin_key}")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, payload = response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, {"error": exc.read().decode(errors="replace")[:300]}
        except OSError as exc:  # refused, reset, timed out: counted as a failed request
            status, payload = 0, {"error": str(exc)}
        if path == "/ask":
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
        return status, payload


@dataclass
class Tally:
    ranks: list[int] = field(default_factory=list)  # 1-based rank of the first right passage; 0 = none
    answered: int = 0
    answered_right: int = 0
    abstain_total: int = 0
    abstain_right: int = 0
    follow_total: int = 0
    follow_right: int = 0
    errors: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def score(self, q: Question, payload: dict[str, Any]) -> bool:
        answer = payload.get("answer")
        if q.get("answerable") is False:
            self.abstain_total += 1
            self.abstain_right += answer is None
            return answer is None
        passages = payload.get("passages") or []
        self.ranks.append(next((i + 1 for i, p in enumerate(passages) if is_right(p.get("text", ""), q)), 0))
        right = answer is not None and is_right(answer.get("text", ""), q)
        self.answered += answer is not None
        self.answered_right += right
        return right


def ask(client: Client, tally: Tally, q: Question, top_k: int, conversation: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": q["question"], "top_k": top_k}
    if q.get("document_id"):
        body["document_id"] = q["document_id"]
    if conversation:
        body["conversation_id"] = conversation
    status, payload = client.post("/ask", body)
    if status != 200:
        tally.errors += 1
        return {}
    return payload


def run(client: Client, questions: list[Question], top_k: int) -> Tally:
    tally = Tally()
    for q in questions:
        conversation: str | None = None
        for turn_no, turn in enumerate(q.get("turns") or [q]):
            payload = ask(client, tally, turn, top_k, conversation)
            conversation = payload.get("conversation_id") or conversation
            right = tally.score(turn, payload)
            if turn_no > 0:
                tally.follow_total += 1
                tally.follow_right += right
            if not right:
                tally.misses.append({"id": q.get("id"), "turn": turn_no, "question": turn["question"],
                                     "got": (payload.get("answer") or {}).get("text")})
    return tally


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(tally: Tally, latencies: list[float], ingest_s: float) -> dict[str, Any]:
    n = len(tally.ranks)
    ordered = sorted(latencies)

    def percentile(p: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2) if ordered else None

    return {
        "questions": n, "p_at_1": ratio(sum(r == 1 for r in tally.ranks), n),
        "mrr": round(sum(1 / r for r in tally.ranks if r) / n, 4) if n else None,
        "answer_accuracy": ratio(tally.answered_right, n), "answered_rate": ratio(tally.answered, n),
        "unanswerable": tally.abstain_total, "abstain_accuracy": ratio(tally.abstain_right, tally.abstain_total),
        "followups": tally.follow_total, "followup_accuracy": ratio(tally.follow_right, tally.follow_total),
        "errors": tally.errors, "latency_ms_p50": percentile(0.5), "latency_ms_p95": percentile(0.95),
        "latency_ms_mean": round(sum(ordered) / len(ordered), 2) if ordered else None, "ingest_s": round(ingest_s, 2),
    }


def ingest(client: Client, corpus: Path) -> float:
    started = time.perf_counter()
    for doc in read_jsonl(corpus):
        status, payload = client.post("/documents", doc, admin=True)
        if status not in (200, 201):
            raise SystemExit(json.dumps({"error": f"ingest {doc.get('id')!r}: HTTP {status}", "detail": payload}))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service (default %(default)s)")
    parser.add_argument("--questions", type=Path, required=True, help="questions, JSONL")
    parser.add_argument("--corpus", type=Path, help="documents to post first, JSONL")
    parser.add_argument("--admin-key", help="bearer key for POST /documents (QA_ADMIN_KEY of the server)")
    parser.add_argument("--top-k", type=int, default=10, help="passages asked for (default %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N questions")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N wrong answers to stderr")
    args = parser.parse_args(argv)
    client = Client(args.url, args.admin_key, args.timeout)
    ingest_s = ingest(client, args.corpus) if args.corpus else 0.0
    questions = read_jsonl(args.questions)
    tally = run(client, questions[: args.limit] if args.limit else questions, args.top_k)
    for miss in tally.misses[: args.show_misses]:
        print(json.dumps(miss, ensure_ascii=False), file=sys.stderr)
    print(json.dumps(summary(tally, client.latencies_ms, ingest_s)))
    return 1 if tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())
