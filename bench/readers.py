"""Readers' questions, cross-validated by article: what a reader of a news article gets.

    python -m bench.readers --data ../shared/train/news_readers --adapters /tmp/enc/fold{fold}.npz \\
        --fit-ranker --with-squad [--ship qa/answer/answerability.json]

For each fold k (articles dealt round-robin in sorted order, as `qa.learn.adaptation.fold_of`): a store
of every reader article, embedded by the encoder whose adapter never saw fold k (`--adapters`, with
`{fold}` in the path; `none` for the plain model); the reranker's weights (`--fit-ranker`) and
the decision fitted on the other folds' reader questions (their features computed the same way, by
their own fold's encoder and ranker) plus, with `--with-squad`, the SQuAD part's examples (by the
shipped encoder); then every question of fold k asked through `QAService.ask`, conversations turn
by turn, as the widget asks (with the article's id). `--ship` writes the model fitted on all folds.

Prints per fold and overall: P@1, answered, right of shown, right answers / answerable, right
answer or right closest passage / answerable, unanswerable with no answer shown, follow-ups right
(as ../shared/tools/qa_eval.py counts them), and highlights overlapping the gold span.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import ROOT, count
from qa.answer import answerability
from qa.answer.passages import Passage
from qa.answer.reranking import Weights
from qa.ingest.ingestion import DocumentInput
from qa.learn import examples as examples_module
from qa.learn.adaptation import fold_of, read_jsonl
from qa.learn.examples import Example, examples, ranked_examples, reader_examples
from qa.learn.training import MEMBERS, decide, fit_ranker, save_examples
from qa.service import QAService
from qa.settings import Settings

Row = dict[str, Any]


def open_fold(data_dir: Path, adapter: str, corpus: list[Row]) -> QAService:
    settings = Settings(data_dir=data_dir, seeds_dir=data_dir / "no-seeds", answer_cache_size=0,
                        encoder_batching=False, encoder_adapter=adapter)
    service = QAService.open(settings)
    for doc in corpus:
        service.put(DocumentInput(text=doc["text"], id=doc["id"], title=doc.get("title") or ""))
    return service


def right(passage: Passage | None, q: Row) -> bool:
    if passage is None or not q.get("answerable"):
        return False
    text = " ".join(passage.text.lower().split())
    return any(" ".join(a["text"].lower().split()) in text for a in q["answers"])


def overlaps(passage: Passage, q: Row) -> bool:
    if passage.highlight is None:
        return False
    start, end = passage.highlight
    return any(start < a["start"] - passage.start + len(a["text"]) and a["start"] - passage.start < end
               for a in q["answers"])


def threads(questions: list[Row]) -> list[list[Row]]:
    """Single questions, and conversations as their turns in order."""
    turns: dict[str, list[Row]] = defaultdict(list)
    out: list[list[Row]] = []
    for q in questions:
        if q.get("conversation"):
            turns[q["conversation"]].append(q)
        else:
            out.append([q])
    return out + [sorted(t, key=lambda q: q["turn"]) for t in turns.values()]


def evaluate(service: QAService, questions: list[Row]) -> dict[str, float]:
    n: dict[str, float] = defaultdict(float)
    for thread in threads(questions):
        conversation = None
        for i, q in enumerate(thread):
            result = service.ask(q["question"], q["document_id"], 3, conversation)
            conversation = result.conversation_id
            first = result.passages[0] if result.passages else None
            ok = right(result.answer, q) if q["answerable"] else result.answer is None
            if i > 0:
                n["followups"] += 1
                n["followups_right"] += ok
            if not q["answerable"]:
                n["unanswerable"] += 1
                n["no_answer_shown"] += result.answer is None
                n["closest_on_unanswerable"] += result.closest is not None
                continue
            n["answerable"] += 1
            n["p_at_1"] += right(first, q)
            n["answered"] += result.answer is not None
            n["right_answers"] += ok
            n["right_or_closest"] += ok or right(result.closest, q)
            if ok and result.answer is not None:
                n["highlight_overlaps"] += overlaps(result.answer, q)
    return n


def summary(n: dict[str, float]) -> dict[str, float]:
    a, u = max(1.0, n["answerable"]), max(1.0, n["unanswerable"])
    return {"answerable": n["answerable"], "p_at_1": n["p_at_1"] / a, "answered": n["answered"] / a,
            "right_of_shown": n["right_answers"] / max(1.0, n["answered"]), "right_answers": n["right_answers"] / a,
            "right_or_closest": n["right_or_closest"] / a, "unanswerable_no_answer": n["no_answer_shown"] / u,
            "closest_on_unanswerable": n["closest_on_unanswerable"] / u,
            "followups_right": n["followups_right"] / max(1.0, n["followups"]),
            "highlight_overlaps": n["highlight_overlaps"] / max(1.0, n["right_answers"])}


def load_examples(path: Path) -> list[Example]:
    with np.load(path) as z:
        return [Example(x, bool(y), str(a), str(k), int(q))
                for x, y, a, k, q in zip(z["x"], z["y"], z["articles"], z["kinds"], z["questions"], strict=True)]


def squad_examples(args: argparse.Namespace, weights: Weights) -> tuple[list[Example], str]:
    """The SQuAD part's examples (`qa.learn.examples.examples`: answerable, paraphrased, unanswerable,
    wrong-article and near-miss questions over a store of every article), computed once by the
    shipped encoder (`--ship-adapter`) ranking with `weights`, and cached in --work."""
    squad_corpus = read_jsonl(args.squad / "corpus.jsonl")
    service = open_fold(args.work / "ship", args.ship_adapter, squad_corpus + read_jsonl(args.data / "corpus.jsonl"))
    name = service.embedder.name
    # The code that makes and measures the examples is part of the key: a change there must not
    # reuse examples the old code made.
    code = [Path(module.__file__ or "").read_text("utf-8") for module in (examples_module, answerability)]
    key = hashlib.sha256(json.dumps([name, asdict(weights), *code]).encode()).hexdigest()[:12]
    cached = args.work / f"squad-{key}.npz"
    if not cached.exists():
        service.answerer.weights = weights
        save_examples(cached, list(examples(service, squad_corpus, read_jsonl(args.squad / "questions.jsonl"))))
    service.close()
    return load_examples(cached), name


def ship(args: argparse.Namespace, data: list[Example], weights: Weights, embedder: str) -> None:
    """The model to commit: the ranker fitted on every fold, the decision on every fold's held-out
    features and on the SQuAD part's examples."""
    model = replace(decide(data, args.precision, args.closest_precision, args.members), ranker=asdict(weights))
    model.meta.update({"data": f"SQuAD part ({args.squad.name}) and the reader questions of {args.folds} folds "
                       f"by article ({args.data.name}), each fold's from the encoder that never saw it",
                       "embedder": embedder})
    model.save(args.ship)
    print(json.dumps({"shipped": str(args.ship), "threshold": model.threshold, "closest": model.closest,
                      "ranker": asdict(weights), **model.meta}, indent=1))


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the news_readers folder")
    ap.add_argument("--adapters", default="none", help="adapter path with {fold}, or `none`")
    ap.add_argument("--with-squad", action="store_true",
                    help="the decision learns from the SQuAD part too (its examples by the shipped encoder)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--precision", type=float, default=0.9)
    ap.add_argument("--closest-precision", type=float, default=0.4)
    ap.add_argument("--members", type=count, default=MEMBERS,
                    help="networks the decision averages (0: the logistic model it had before)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/qa-readers"))
    ap.add_argument("--fit-ranker", action="store_true", help="learn the reranker's weights too (per fold)")
    ap.add_argument("--keep", action="store_true", help="save each fold's decision examples and model in --work")
    ap.add_argument("--ship", type=Path, help="also write the model to commit here (see `ship`)")
    ap.add_argument("--ship-adapter", default="readers", help="the shipped encoder's adapter")
    ap.add_argument("--squad", type=Path, default=ROOT / "bench" / "data" / "squad_train",
                    help="SQuAD-style training folder (for --with-squad)")
    return ap.parse_args()


def main() -> int:
    args = arguments()
    corpus = read_jsonl(args.data / "corpus.jsonl")
    questions = read_jsonl(args.data / "questions.jsonl")
    fold = fold_of([d["id"] for d in corpus], args.folds)
    of_fold = {k: [q for q in questions if fold[q["document_id"]] == k] for k in range(args.folds)}
    services = {k: open_fold(args.work / f"fold{k}", args.adapters.format(fold=k), corpus) for k in range(args.folds)}
    # Pass 1: each fold's candidates under the hand-set weights; fold k's ranker learns from the others.
    rankers, shipped = {k: Weights() for k in services}, Weights()
    if args.fit_ranker:
        ranked = {k: list(ranked_examples(services[k], of_fold[k])) for k in services}
        rankers = {k: fit_ranker([r for j in services if j != k for r in ranked[j]]) for k in services}
        shipped = fit_ranker([r for rs in ranked.values() for r in rs])
    squad, embedder = squad_examples(args, shipped) if args.with_squad else ([], "")
    # Pass 2: the decision's examples, each fold's questions ranked by the ranker that never saw them.
    features: dict[int, list[Example]] = {}
    for k, service in services.items():
        service.answerer.weights = rankers[k]
        features[k] = list(reader_examples(service, of_fold[k]))
        if args.keep:
            save_examples(args.work / f"fold{k}.npz", features[k])
    total: dict[str, float] = defaultdict(float)
    for k, service in services.items():
        others = [e for j in services if j != k for e in features[j]]
        fitted = decide(others + squad, args.precision, args.closest_precision, args.members)
        service.answerer.decision = replace(fitted, ranker=asdict(rankers[k]))
        if args.keep:  # to serve: `QA_ANSWERABILITY_MODEL=<work>/model{k}.json`, with that fold's adapter
            service.answerer.decision.save(args.work / f"model{k}.json")
        n = evaluate(service, of_fold[k])
        for key, value in n.items():
            total[key] += value
        print(json.dumps({"fold": k, "threshold": round(service.answerer.decision.threshold, 3),
                          "closest": round(service.answerer.decision.closest, 3), "ranker": asdict(rankers[k]),
                          **{key: round(v, 4) for key, v in summary(n).items()}}), flush=True)
    print(json.dumps({"fold": "all", **{key: round(v, 4) for key, v in summary(total).items()}}))
    if args.ship is not None:
        ship(args, [e for fs in features.values() for e in fs] + squad, shipped, embedder)
    for service in services.values():
        service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
