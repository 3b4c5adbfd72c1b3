"""Answer quality, in one run: plain dense, plain BM25, RRF fusion and the full pipeline (with
ablations) on the same corpus and questions, in process, with the real model by default.

    python -m bench.quality                       # squad_dev first 500 + seed + unanswerable sets
    python -m bench.quality --limit 100 --fake    # quick look with the fake embedder
    python -m bench.quality --skip 500 --no-ablation   # held-out squad_dev questions 501-1000

Correctness follows ../shared/tools/qa_eval.py: an "expect" substring, or Jaccard >= 0.5 with a
"gold" sentence. Prints one table; use it to see what each component adds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench._common import ROOT, SHARED, load
from bench.evaluate import is_right  # one definition of a right passage
from index.embedders.base import FakeEmbedder
from qa.answer import reranking
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings

Row = dict[str, Any]  # one question as the evaluation sets write it
Ranker = Callable[[QAService, Row], tuple[list[str], bool]]


def correct(text: str, q: Row) -> bool:
    return is_right(text, q)


def texts(service: QAService, ids: list[int]) -> list[str]:
    found = service.backend.sentences(ids)
    return [found[i].text for i in ids if i in found]


def dense(service: QAService, q: Row) -> tuple[list[str], bool]:
    vec = service.embedder.encode([q["question"]])[0]
    only = service.backend.sentence_ids(q["document_id"]) if q.get("document_id") else None
    return texts(service, [i for i, _ in service.backend.search(vec, 10, only)]), True


def bm25(service: QAService, q: Row) -> tuple[list[str], bool]:
    return texts(service, [i for i, _ in service.backend.lexical_search(q["question"], 10, q.get("document_id"))]), True


def fused(service: QAService, q: Row) -> tuple[list[str], bool]:
    from qa.answer import retrieval

    vec = service.embedder.encode([q["question"]])[0]
    cands = retrieval.gather(service.backend, service.backend, vec, q["question"],
                             service.settings.candidate_depth, q.get("document_id"))
    return [c.sentence.text for c in cands[:10]], True


def full(service: QAService, q: Row) -> tuple[list[str], bool]:
    result = service.ask(q["question"], q.get("document_id"), 10)
    return [p.text for p in result.passages], result.answer is not None


def evaluate(service: QAService, ranker: Ranker, answerable: list[Row], unanswerable: list[Row]) -> dict[str, float]:
    ranks, answered, latencies = [], 0, []
    for q in answerable:
        t0 = time.perf_counter()
        got, has_answer = ranker(service, q)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranks.append(next((i + 1 for i, t in enumerate(got) if correct(t, q)), 0))
        answered += has_answer
    abstained = sum(not ranker(service, q)[1] for q in unanswerable)
    n = len(ranks)
    return {"P@1": sum(r == 1 for r in ranks) / n, "MRR": sum(1 / r for r in ranks if r) / n,
            "answered": answered / n, "abstain": abstained / max(1, len(unanswerable)),
            "p50 ms": statistics.median(latencies)}


def open_service(args: argparse.Namespace) -> QAService:
    # No answer cache: variants re-ask the same questions with other weights.
    settings = Settings(data_dir=args.data_dir, seeds_dir=ROOT / "seeds", answer_cache_size=0, encoder_batching=False,
                        embedder="fake" if args.fake else "sentence-transformers")
    service = QAService.open(settings, FakeEmbedder() if args.fake else None)
    for doc in load(args.corpus):
        service.put(DocumentInput(text=doc["text"], id=doc["id"], title=doc.get("title")), replace_existing=True)
    return service


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "squad_dev" / "questions.jsonl")
    ap.add_argument("--seed-questions", type=Path, default=ROOT / "tests" / "data" / "seed_questions.jsonl")
    ap.add_argument("--unanswerable", type=Path, default=ROOT / "bench" / "data" / "unanswerable.jsonl")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--skip", type=int, default=0,
                    help="start after this many squad questions: --skip 500 measures held-out questions 501-1000")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bench-data"))
    ap.add_argument("--fake", action="store_true", help="use the fake embedder (fast, offline, lower quality)")
    ap.add_argument("--no-ablation", action="store_true")
    args = ap.parse_args()

    service = open_service(args)
    squad = load(args.questions)[args.skip: args.skip + args.limit]
    seed = [q for q in load(args.seed_questions) if "turns" not in q]
    negatives = [q for q in seed if q.get("answerable") is False] + load(args.unanswerable)
    seed_pos = [q for q in seed if q.get("answerable") is not False]
    variants: list[tuple[str, Ranker, reranking.Weights]] = [
        ("dense (FAISS)", dense, reranking.Weights()), ("BM25 (FTS5)", bm25, reranking.Weights()),
        ("RRF fusion", fused, reranking.Weights()), ("full pipeline", full, reranking.Weights())]
    if not args.no_ablation:
        for name in reranking.Weights.__dataclass_fields__:
            variants.append((f"  - without {name}", full, replace(reranking.Weights(), **{name: 0.0})))
    print(f"{'variant':24} {'squad P@1':>9} {'MRR':>6} {'answered':>8} {'seed P@1':>8} {'abstain':>7} {'p50 ms':>7}")
    for name, ranker, weights in variants:
        service.answerer.weights = weights
        s = evaluate(service, ranker, squad, negatives)
        e = evaluate(service, ranker, seed_pos, [])
        print(f"{name:24} {s['P@1']:9.3f} {s['MRR']:6.3f} {s['answered']:8.3f} {e['P@1']:8.3f} "
              f"{s['abstain']:7.3f} {s['p50 ms']:7.1f}")
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
