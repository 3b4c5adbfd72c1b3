"""Choose the abstention threshold from data: the score below which an answer is withheld.

    python bench/calibrate.py

Scores the top passage of held-out answerable questions (squad_dev questions 501-1000, which the
quality figures in the README do not use) and prints the 1st-5th percentiles as candidate
thresholds, with what each would do on the reported questions (1-500) and on the unanswerable set.
The default `QA_ABSTAIN_THRESHOLD` is the 1st percentile; rerun this after changing the reranker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, SHARED, load, open_service  # noqa: E402

from qa.service import QAService  # noqa: E402


def top_scores(service: QAService, questions: list[dict]) -> list[tuple[float, bool]]:
    """(best score, whether the name rule alone lets it answer) per question."""
    out = []
    for q in questions:
        result = service.ask(q["question"], q.get("document_id"), 1)
        out.append((result.passages[0].score if result.passages else float("-inf"), result.answer is not None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "squad_dev" / "questions.jsonl")
    ap.add_argument("--unanswerable", type=Path, default=ROOT / "bench" / "data" / "unanswerable.jsonl")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bench-data"))
    ap.add_argument("--fake", action="store_true")
    ap.add_argument("--split", type=int, default=500, help="questions before this are reported, after it held out")
    args = ap.parse_args()
    service = open_service(args)
    service.settings.abstain_threshold = float("-inf")  # see every score; the name rule still applies
    questions = load(args.questions)
    if len(questions) <= args.split:
        print(f"need more than {args.split} questions to hold some out", file=sys.stderr)
        return 2
    held_out = top_scores(service, questions[args.split:])
    reported = top_scores(service, questions[: args.split])
    negatives = top_scores(service, load(args.unanswerable))
    answered = np.array([s for s, ok in held_out if ok] or [float("nan")])
    print(f"{'percentile':>10} {'threshold':>9} {'answered (1-500)':>16} {'abstained (unanswerable)':>24}")
    for pct in (1, 2, 3, 5):
        th = float(np.percentile(answered, pct))
        kept = np.mean([ok and s >= th for s, ok in reported])
        withheld = np.mean([not (ok and s >= th) for s, ok in negatives])
        print(f"{pct:>10} {th:9.3f} {kept:16.3f} {withheld:24.3f}")
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
