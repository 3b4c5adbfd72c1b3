"""Answer trust, in process: for each question set, how often the first passage is right (P@1),
how many questions are answered, how many shown answers are right, how many unanswerable
questions are abstained on, and a risk-coverage table (share answered vs share of answers right
at several confidence thresholds).

    python -m bench.trust                                   # squad_dev store + seed article sets
    python -m bench.trust --sets reader seed                # only the seed-article sets (fast)
    python -m bench.trust --model /tmp/answerability.json   # a model from `qa train`

Sets: squad (squad_dev questions over all its articles, with the seed article and
bench/data/unanswerable.jsonl), seed (the seed questions), reader (bench/data/reader_questions.jsonl,
typed as readers type, with follow-ups). Seed and reader questions are asked of the seed article,
as the widget asks them. Correctness: an "expect" substring, or Jaccard >= 0.5 with a "gold" sentence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench._common import ROOT, SHARED, load
from bench.quality import correct
from index.embedders.base import FakeEmbedder
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings

SEED_ID = "000_faad21c899ddfd9f"
THRESHOLDS = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
Row = tuple[float, bool, bool, bool]  # confidence, first passage right, answered, answerable


def ask_all(service: QAService, questions: list[dict[str, Any]], document_id: str | None) -> list[Row]:
    rows: list[Row] = []
    for q in questions:
        turns, conversation = q.get("turns", [q]), None
        for turn in turns:
            result = service.ask(turn["question"], document_id, 1, conversation)
            conversation = result.conversation_id
            first = result.passages[0] if result.passages else None
            rows.append((first.confidence or 0.0 if first else 0.0, bool(first and correct(first.text, turn)),
                         result.answer is not None, turn.get("answerable", True) is not False))
    return rows


def summary(name: str, rows: list[Row]) -> None:
    pos = [r for r in rows if r[3]]
    neg = [r for r in rows if not r[3]]
    shown = [r for r in pos if r[2]]
    print(f"\n{name}: {len(pos)} answerable, {len(neg)} unanswerable")
    if pos:
        print(f"  P@1 {sum(r[1] for r in pos) / len(pos):.3f}   answered {len(shown) / len(pos):.3f}   "
              f"right of shown {sum(r[1] for r in shown) / max(1, len(shown)):.3f}")
    if neg:
        print(f"  abstained on unanswerable {sum(not r[2] for r in neg) / len(neg):.3f}")
    print("  threshold  answered  right-of-shown  abstain(unanswerable)")
    for t in THRESHOLDS:
        ans = [r for r in pos if r[0] >= t]
        right = sum(r[1] for r in ans) / len(ans) if ans else 1.0
        abstain = sum(r[0] < t for r in neg) / len(neg) if neg else float("nan")
        print(f"  {t:9.2f}  {len(ans) / max(1, len(pos)):8.3f}  {right:14.3f}  {abstain:9.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", default=["squad", "seed", "reader"], choices=["squad", "seed", "reader"])
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "squad_dev" / "questions.jsonl")
    ap.add_argument("--seed-questions", type=Path, default=SHARED / "seed_questions.jsonl")
    ap.add_argument("--reader-questions", type=Path, default=ROOT / "bench" / "data" / "reader_questions.jsonl")
    ap.add_argument("--unanswerable", type=Path, default=ROOT / "bench" / "data" / "unanswerable.jsonl")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-trust-data"))
    ap.add_argument("--model", type=Path, help="an answerability model from `qa train` (default: the committed one)")
    ap.add_argument("--fake", action="store_true", help="the fake embedder (a quick check that the bench runs)")
    args = ap.parse_args()

    settings = Settings(data_dir=args.data_dir, seeds_dir=ROOT / "seeds", answer_cache_size=0, encoder_batching=False,
                        answerability_model=args.model, embedder="fake" if args.fake else "auto")
    service = QAService.open(settings, FakeEmbedder() if args.fake else None)
    try:
        if "squad" in args.sets:
            for doc in load(args.corpus):
                service.put(DocumentInput(text=doc["text"], id=doc["id"], title=doc.get("title")))
            summary("squad_dev (all articles in one store) + unanswerable.jsonl",
                    ask_all(service, load(args.questions) + load(args.unanswerable), None))
        if "seed" in args.sets:
            summary("seed questions (seed article)", ask_all(service, load(args.seed_questions), SEED_ID))
        if "reader" in args.sets:
            summary("reader-style questions (seed article)", ask_all(service, load(args.reader_questions), SEED_ID))
    finally:
        service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
