"""What readers wanted to know, measured on the readers' data (docs/insights.md):

    python -m bench.insights --data ../shared/train/news_readers [--adapter none]

1. Groups. Every unanswerable reader question is played against its article through
   `QAService.ask` with QA_INSIGHTS on (a conversation's turns in order, in one conversation), then
   rewordings of a third of them (bench/data/insights_rewordings.jsonl, written for this bench:
   another reader asking for the same missing thing in other words), as readers of a live article
   would. The rows recorded for the questions left unanswered are read back and grouped per article
   as GET /insights groups them (`qa.insights.grouping.cluster`), and the groups are scored against the
   questions' `why` labels (a rewording carries the label of the question it rewords):
   - pure groups: the share of groups whose questions all ask for the same missing thing (also
     among groups of two or more questions: singletons are pure by construction);
   - pairwise precision (of the pairs put together, the share asking for one thing) and recall
     (of the pairs asking for one thing, the share put together), and NMI against the labels.
   The similarity cut is chosen on half of the articles (even places in sorted order: pairwise F1)
   and reported on the other half, beside the shipped `qa.insights.grouping.SIMILARITY`.
2. Cost. POST /ask (in process, the whole FastAPI stack) with recording on and off, taking turns
   ten questions at a time in the same run, on full answers and on answers from the cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sklearn.metrics import normalized_mutual_info_score

from api.app import create_app
from bench._common import ROOT, load
from bench.latency import interleaved
from bench.readers import threads
from index.embedders.base import FakeEmbedder, exact
from qa.answer import cache
from qa.ingest.ingestion import DocumentInput
from qa.insights.grouping import SIMILARITY, QuestionVectors, cluster, key
from qa.insights.report import Insights
from qa.learn.adaptation import fold_of
from qa.service import QAService
from qa.settings import Settings

Row = dict[str, Any]
CUTS = [round(0.5 + 0.05 * i, 2) for i in range(9)]  # 0.50 ... 0.90
Played = list[tuple[str, str, str]]  # (article, question as understood, label) of each unanswered question


def open_service(data: Path, work: Path, adapter: str, fake: bool = False) -> QAService:
    settings = Settings(data_dir=work, seeds_dir=work / "no-seeds", answer_cache_size=0, insights=True,
                        encoder_adapter=adapter, embedder="fake" if fake else "auto")
    service = QAService.open(settings, FakeEmbedder() if fake else None)
    for doc in load(data / "corpus.jsonl"):
        service.put(DocumentInput(text=doc["text"], id=doc["id"], title=doc.get("title") or ""))
    return service


def play(service: QAService, questions: list[Row], rewordings: list[Row]) -> tuple[Played, Counter[str]]:
    """Ask every thread holding an unanswerable question, then the rewordings; the unanswered
    ones as recorded, with their labels."""
    labels: dict[str, tuple[str, str]] = {}
    outcomes: Counter[str] = Counter()
    by_id = {q["id"]: q for q in questions}
    asked = [t for t in threads(questions) if any(not q["answerable"] for q in t)]
    asked += [[{**by_id[r["of"]], "question": r["question"], "id": None}] for r in rewordings]
    for thread in asked:
        conversation = None
        for q in thread:
            result = service.ask(q["question"], q["document_id"], 3, conversation)
            conversation = result.conversation_id
            if not q["answerable"] and result.answer_id is not None:
                labels[result.answer_id] = (q["document_id"], q["why"])
                outcomes[result.outcome] += 1
    service.insights.flush()
    rows = service.backend.insight_store().read_insights(0.0)
    return [(labels[r.answer_id][0], r.question, labels[r.answer_id][1]) for r in rows
            if r.answer_id in labels and r.outcome != "answered"], outcomes


def assign(played: Played, vectors: Callable[[list[str]], np.ndarray], cut: float) -> list[str]:
    """Each question's group (article:number), grouped per article as the report groups them."""
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, (article, _, _) in enumerate(played):
        by_article[article].append(i)
    out = [""] * len(played)
    for article, rows in by_article.items():
        texts = [played[i][1] for i in rows]
        group_of = {key(texts[m]): f"{article}:{n}" for n, c in enumerate(cluster(texts, vectors(texts), cut))
                    for m in c.members}
        for i, text in zip(rows, texts, strict=True):
            out[i] = group_of[key(text)]
    return out


def score(labels: list[str], groups: list[str]) -> dict[str, float]:
    members: dict[str, list[str]] = defaultdict(list)
    for label, group in zip(labels, groups, strict=True):
        members[group].append(label)
    pure = [len(set(m)) == 1 for m in members.values()]
    multi = [len(set(m)) == 1 for m in members.values() if len(m) > 1]
    together = sum(len(m) * (len(m) - 1) / 2 for m in members.values())
    right = sum(n * (n - 1) / 2 for m in members.values() for n in Counter(m).values())
    same = sum(n * (n - 1) / 2 for n in Counter(labels).values())
    precision, recall = right / together if together else 1.0, right / same if same else 1.0
    return {"questions": len(labels), "groups": len(members), "pure": float(np.mean(pure)),
            "pure_multi": float(np.mean(multi)) if multi else 1.0, "multi": len(multi),
            "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "nmi": float(normalized_mutual_info_score(labels, groups))}


def measure_groups(played: Played, vectors: Callable[[list[str]], np.ndarray], articles: list[str]) -> None:
    half = fold_of(articles, 2)
    parts = {h: [p for p in played if half[p[0]] == h] for h in (0, 1)}
    sweep = {h: {cut: score([f"{a}:{w}" for a, _, w in part], assign(part, vectors, cut)) for cut in [*CUTS, 1.0]}
             for h, part in parts.items()}
    chosen = max(CUTS, key=lambda c: (sweep[0][c]["f1"], -c))
    print(f"\ngroups: {len(played)} unanswered questions; cut chosen on half A (pairwise F1): {chosen}; "
          f"shipped: {SIMILARITY}")
    print(f"{'half':5} {'cut':>5} {'quest':>6} {'groups':>6} {'pure':>6} {'pure 2+':>7} {'2+':>4} "
          f"{'prec':>6} {'recall':>6} {'F1':>6} {'NMI':>6}")
    for h, results in sweep.items():
        for cut, s in results.items():
            mark = " <- chosen" if cut == chosen else " <- shipped" if cut == SIMILARITY else \
                " (no grouping)" if cut == 1.0 else ""
            print(f"{'AB'[h]:5} {cut:5.2f} {s['questions']:6d} {s['groups']:6d} {s['pure']:6.3f} "
                  f"{s['pure_multi']:7.3f} {s['multi']:4d} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} "
                  f"{s['nmi']:6.3f}{mark}")


def measure_cost(service: QAService, questions: list[Row], limit: int) -> None:
    """POST /ask with recording on and off, taking turns; full answers, then cached ones."""
    on = service.insights
    off = Insights(service.backend, service.embedder, enabled=False, max_rows=service.settings.insights_max_rows,
                   retention_days=service.settings.insights_retention_days)
    sample = [q for q in questions if not q.get("conversation")][: limit + 10]
    client = TestClient(create_app(service.settings, service))
    ask_of = {q["question"]: q["document_id"] for q in sample}

    def variant(insights: Insights) -> Callable[[str], object]:
        def ask(question: str) -> object:
            service.insights = insights
            return client.post("/ask", json={"question": question, "document_id": ask_of[question]}).json()
        return ask

    for phase, cached in (("full answers", False), ("cached answers", True)):
        service.answerer.cache = cache.AnswerCache(4096 if cached else 0)
        names = [q["question"] for q in sample] * (3 if cached else 1)  # cached answers are quick: more of them
        if cached:
            for q in names[: len(sample)]:
                variant(off)(q)  # every answer in the cache before timing
        rows = interleaved([("recording off", variant(off)), ("recording on", variant(on))], names)
        _print_latency(phase, rows)
    service.insights = on


def _print_latency(phase: str, rows: dict[str, list[float]]) -> None:
    """p50 and p95 of each, and the median of the paired differences (the same question, asked
    moments apart with recording on and off) with a bootstrap 95% interval."""
    off, on = rows["recording off"], rows["recording on"]
    paired = np.array(on) - np.array(off)
    rng = np.random.default_rng(0)
    medians = [float(np.median(rng.choice(paired, len(paired)))) for _ in range(2000)]
    low, high = np.percentile(medians, [2.5, 97.5])
    print(f"\n/ask latency, {phase} ({len(off)} questions each, same run):")
    for name, lat in rows.items():
        print(f"  {name:14} p50 {statistics.median(lat):7.2f} ms  p95 {sorted(lat)[int(0.95 * len(lat))]:7.2f} ms")
    print(f"  on/off p50 ratio {statistics.median(on) / statistics.median(off):.3f}; paired difference, median "
          f"{float(np.median(paired)):+.3f} ms (95% CI {low:+.3f} to {high:+.3f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the news_readers folder (read, never copied)")
    ap.add_argument("--rewordings", type=Path, default=ROOT / "bench" / "data" / "insights_rewordings.jsonl")
    ap.add_argument("--adapter", default="readers", help="QA_ENCODER_ADAPTER: readers (shipped) or none")
    ap.add_argument("--latency-questions", type=int, default=300)
    ap.add_argument("--fake", action="store_true", help="the fake embedder (a smoke test, not a measure)")
    args = ap.parse_args()
    questions = load(args.data / "questions.jsonl")
    with tempfile.TemporaryDirectory(prefix="qa-bench-insights-") as tmp:
        service = open_service(args.data, Path(tmp), args.adapter, args.fake)
        try:
            played, outcomes = play(service, questions, load(args.rewordings))
            print(f"unanswerable questions and rewordings played: {dict(outcomes)} (encoder {service.embedder.name})")
            measure_groups(played, QuestionVectors(exact(service.embedder)).of,
                           sorted({q["document_id"] for q in questions}))
            measure_cost(service, questions, args.latency_questions)
        finally:
            service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
