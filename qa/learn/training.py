"""Learn the answerability model (`qa/answer/answerability.json`) and the reranker's weights from
SQuAD-style data (articles, and questions with answer text, some marked unanswerable) and readers'
questions, made into labelled examples by `qa.learn.examples`.

Probabilities come from a few small networks averaged (`MEMBERS`; 0: logistic regression); the
threshold is read off out-of-fold predictions (folds by article), so its stated precision is on
articles the fold never saw. Everything is seeded: the same data give the same file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.answerability import NAMES, Hidden, Model
from qa.answer.reranking import Weights
from qa.learn.examples import (
    RANKER_FEATURES,
    READER_KINDS,
    SEED,
    Example,
    RankerExample,
    examples,
    ingest,
    load_jsonl,
    reader_examples,
)

if TYPE_CHECKING:
    from qa.service import QAService


def fit_ranker(data: list[RankerExample], l2: float = 0.01) -> Weights:
    """Weights that put a right candidate first: the softmax over each question's candidates, its
    mass on the right ones maximised (with a little L2 pull towards zero)."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for r in data:
            z = r.features @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mass = float(p[r.right].sum())
            total -= np.log(max(mass, 1e-12))
            # d(-log mass)/dw = E_p[x] - E_{p | right}[x]
            grad += p @ r.features - (p[r.right] @ r.features[r.right]) / max(mass, 1e-12)
        return total / len(data), grad / len(data)

    start = np.array([getattr(Weights(), n) for n in RANKER_FEATURES])
    best = minimize(loss, start, jac=True, method="L-BFGS-B")
    return Weights(**{n: round(float(v), 4) for n, v in zip(RANKER_FEATURES, best.x, strict=True)})


# The decision's learner: this many small networks (one hidden layer of UNITS), each from its own
# seed, averaged. On readers' questions held out by article, at the same precision, they abstained
# on more of the unanswerable ones than the logistic model and answered slightly fewer answerable
# ones (docs/answerability.md); averaging a few steadies what one seed would give. MEMBERS = 0 is
# the logistic model.
MEMBERS, UNITS = 5, 32


def fit(x: np.ndarray, y: np.ndarray, members: int = MEMBERS) -> Model:
    """Parameters only (threshold, meta: placeholders): `decide` sets them. `x` has the columns of
    NAMES."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    # The logistic model is kept beside any networks: code from before them reads only it, so a
    # rollback still decides with a fitted model rather than at one half for everything.
    linear = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED).fit(z, y)
    hidden = None
    if members > 0:
        nets = [MLPClassifier(hidden_layer_sizes=(UNITS,), alpha=1e-2, max_iter=300, early_stopping=True,
                              random_state=SEED + k).fit(z, y) for k in range(members)]
        hidden = Hidden(inner=np.stack([n.coefs_[0] for n in nets], axis=1),
                        inner_bias=np.stack([n.intercepts_[0] for n in nets]),
                        out=np.stack([n.coefs_[1][:, 0] for n in nets]),
                        out_bias=np.array([n.intercepts_[1][0] for n in nets]))
    return Model(names=NAMES, mean=mean, scale=scale, weights=linear.coef_[0], bias=float(linear.intercept_[0]),
                 threshold=0.5, meta={}, hidden=hidden)


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: list[str], folds: int = 7, members: int = MEMBERS) -> np.ndarray:
    """Each example's probability from a model fitted without its article."""
    articles = sorted(set(groups))
    fold_of = {a: i % folds for i, a in enumerate(articles)}
    which = np.array([fold_of[g] for g in groups])
    p = np.zeros(len(y))
    for k in range(folds):
        p[which == k] = fit(x[which != k], y[which != k], members).probabilities(x[which == k])
    return p


def threshold_for(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """The lowest probability at which the answers shown are right at least `precision` of the time."""
    order = np.argsort(-p)
    right = np.cumsum(y[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(right >= precision)[0]
    return float(p[order][ok.max()]) if len(ok) else 1.0


def risk_coverage(p: np.ndarray, y: np.ndarray, thresholds: list[float]) -> list[dict[str, float]]:
    rows = []
    for t in thresholds:
        shown = p >= t
        rows.append({"threshold": t, "answered": float(shown.mean()),
                     "right_of_shown": float(y[shown].mean()) if shown.any() else 1.0})
    return rows


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def chosen(p: np.ndarray, questions: np.ndarray) -> np.ndarray:
    """Per question, the row of its most probable passage (the first of equals, as the service picks)."""
    best: dict[int, int] = {}
    for row, q in enumerate(questions):
        if q not in best or p[row] > p[best[q]]:
            best[q] = row
    return np.array(sorted(best.values()))


def closest_for(p: np.ndarray, y: np.ndarray, threshold: float, precision: float) -> float:
    """The lowest probability below `threshold` at which the passages shown as "closest" (those
    between it and `threshold`) are right at least `precision` of the time; `threshold` if none."""
    below = p < threshold
    order = np.argsort(-p[below])
    right = np.cumsum(y[below][order]) / np.arange(1, int(below.sum()) + 1)
    ok = np.nonzero(right >= precision)[0]
    return float(p[below][order][ok.max()]) if len(ok) else threshold


def train(service: QAService, corpus_path: Path, questions_path: Path, precision: float = 0.9,
          keep: Path | None = None, readers: Path | None = None, closest_precision: float = 0.4) -> Model:
    """`readers`: a folder of reader questions (`news_readers` shape) learned from as well.
    `keep`: also save the examples (features, labels, kinds, articles) there, for bench/ablation.py."""
    corpus, questions = load_jsonl(corpus_path), load_jsonl(questions_path)
    ingest(service, corpus)
    data = list(examples(service, corpus, questions))
    described = f"{len(corpus)} articles, {len(questions)} questions ({corpus_path.parent.name})"
    if readers is not None:
        reader_corpus, asked = load_jsonl(readers / "corpus.jsonl"), load_jsonl(readers / "questions.jsonl")
        ingest(service, reader_corpus)
        data += list(reader_examples(service, asked))
        described += f"; {len(reader_corpus)} articles, {len(asked)} reader questions ({readers.name})"
    if keep is not None:
        save_examples(keep, data)
    model = decide(data, precision, closest_precision)
    model.meta.update({"data": described, "embedder": service.embedder.name})
    return model


def save_examples(path: Path, data: list[Example]) -> None:
    np.savez_compressed(path, x=np.stack([e.features for e in data]), y=np.array([e.right for e in data], dtype=float),
                        kinds=np.array([e.kind for e in data]), articles=np.array([e.article for e in data]),
                        questions=np.array([e.question for e in data]), names=np.array(NAMES))


def decide(data: list[Example], precision: float = 0.9, closest_precision: float = 0.4,
           members: int = MEMBERS) -> Model:
    """Fit the decision on `data`; its thresholds read off out-of-fold predictions (folds by article)."""
    x = np.stack([e.features for e in data])
    y = np.array([e.right for e in data], dtype=float)
    groups, kinds = [e.article for e in data], np.array([e.kind for e in data])
    asked = np.array([f"{e.kind}:{e.article}:{e.question}" for e in data])
    p = out_of_fold(x, y, groups, members=members)
    pick = chosen(p, asked)  # what the service would show, judged on articles the fold never saw
    # The cut-offs are read off readers' questions where there are any: the widget's use, whose
    # scores sit elsewhere than SQuAD's. The answer threshold gives `precision` on the answerable
    # ones (right answers of those shown, as qa_eval counts); how often unanswerable ones are
    # answered is reported beside it. The closest passage's cut-off counts both.
    readers = np.isin(kinds[pick], list(READER_KINDS))
    on = pick[readers] if readers.any() else pick
    mine = np.isin(kinds[on], ["answerable", "reader"])  # the answerable ones among them
    threshold = threshold_for(p[on][mine], y[on][mine], precision)
    closest = closest_for(p[on], y[on], threshold, closest_precision)
    fitted = fit(x, y, members)
    answerable = np.isin(kinds[pick], ["answerable", "reader"])
    meta: dict[str, object] = {
        "cut_offs_read_off": "reader questions" if readers.any() else "all questions",
        "held_out_readers": risk_coverage(p[on][mine], y[on][mine], [0.3, 0.5, 0.7, closest, threshold]),
        "readers_unanswerable_abstained": _mean(p[on][~mine] < threshold),
        "questions": {str(k): int(np.sum(kinds[pick] == k)) for k in sorted(set(kinds))}, "rows": len(y),
        "seed": SEED, "target_precision": precision, "closest_precision": closest_precision,
        "first_passage_right": {str(k): _mean(y[pick][kinds[pick] == k]) for k in ("answerable", "reader")},
        "held_out": risk_coverage(p[pick][answerable], y[pick][answerable], [0.3, 0.5, 0.7, closest, threshold]),
        "abstained_on_negatives": {str(k): _mean(p[pick][kinds[pick] == k] < threshold)
                                   for k in ("unanswerable", "wrong-article", "near-miss", "reader-unanswerable")},
    }
    meta["learner"] = f"{members} networks of {UNITS} hidden units, averaged" if members else "logistic regression"
    return replace(fitted, threshold=threshold, closest=closest, meta=meta)
