"""Ablation of the answerability model's features, from the examples `qa train` saved:

    qa train --out /tmp/m.json --examples /tmp/examples.npz
    python -m bench.ablation /tmp/examples.npz

For the whole model and with each group of features left out, fitted again with the same recipe
and judged out of fold (folds by article): ROC AUC, the share of shown answers that are right when
75% of the answerable questions are answered, and the abstention on each kind of negative at the
threshold that keeps 80% of all shown answers right.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from bench._common import count
from qa.learn import training

GROUPS = {
    "rankers (score, margin, dense, lexical, agreement, rank)": ["score", "margin", "dense", "dense_margin",
                                                                 "lexical", "dense_first", "lexical_first", "rank"],
    "reranker features (overlap, context, names, phrases, speaker)": ["overlap", "context", "names", "phrases",
                                                                      "speaker"],
    "kind of answer (kind, asks_*)": ["kind"],
    "asked-about words covered (covered, covered_here)": ["covered", "covered_here"],
    "words the articles lack (absent, absent_any)": ["absent", "absent_any"],
    "relatedness of unmatched words (explained, unexplained_max)": ["explained", "unexplained_max"],
    "names the articles lack (missing_names)": ["missing_names"],
    "novel names and numbers (novel)": ["novel"],
}


def judge(x: np.ndarray, y: np.ndarray, kinds: np.ndarray, articles: list[str], questions: np.ndarray,
          members: int) -> str:
    """Judged on what the service would show: each question's most probable passage."""
    p = training.out_of_fold(x, y, articles, members=members)
    pick = training.chosen(p, questions)
    p, y, kinds = p[pick], y[pick], kinds[pick]
    answerable = kinds == "answerable"
    order = np.argsort(-p[answerable])
    at75 = y[answerable][order][: int(0.75 * answerable.sum())].mean()
    t = training.threshold_for(p, y, 0.8)
    abstain = " ".join(f"{k} {np.mean(p[kinds == k] < t):.3f}" for k in ("unanswerable", "near-miss", "wrong-article"))
    return f"P@1 {y[answerable].mean():.3f}  AUC {roc_auc_score(y, p):.3f}  right@75% {at75:.3f}  abstain: {abstain}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("examples", type=Path)
    ap.add_argument("--members", type=count, default=training.MEMBERS,
                    help="networks averaged, as the shipped decision (0: the logistic model)")
    args = ap.parse_args()
    data = np.load(args.examples)
    x, y, kinds, names = data["x"], data["y"], data["kinds"], [str(n) for n in data["names"]]
    articles, questions = [str(a) for a in data["articles"]], data["questions"]
    print(f"{'all features':62} {judge(x, y, kinds, articles, questions, args.members)}")
    for group, members in GROUPS.items():
        drop = [i for i, n in enumerate(names) if n in members or (members == ["kind"] and n.startswith("asks_"))]
        keep = [i for i in range(len(names)) if i not in drop]
        print(f"{'without ' + group:62} {judge(x[:, keep], y, kinds, articles, questions, args.members)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
