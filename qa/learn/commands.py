"""The `qa train` and `qa train-encoder` verbs (`qa.cli` parses their arguments)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from index.embedders.base import resolve_model_path
from qa.answer.answerability import Model
from qa.errors import QAError
from qa.learn import adaptation, training
from qa.service import QAService
from qa.settings import Settings


def train(settings: Settings, args: argparse.Namespace) -> int:
    """Trains in a throw-away store, never the user's data folder."""
    if not 0.5 <= args.precision < 1:
        raise QAError("--precision must be at least 0.5 and below 1")
    with tempfile.TemporaryDirectory(prefix="qa-train-") as tmp:
        scratch = settings.model_copy(update={"data_dir": Path(tmp), "seeds_dir": Path(tmp) / "none",
                                              "answer_cache_size": 0, "database_url": None})
        service = QAService.open(scratch, decision=Model.neutral())  # the features, whatever the committed model
        try:
            model = training.train(service, args.corpus, args.questions, args.precision, args.examples,
                                   readers=args.readers)
        finally:
            service.close()
    model.save(args.out)
    print(json.dumps({"out": str(args.out), "threshold": model.threshold, **model.meta}, indent=1))
    return 0


def train_encoder(settings: Settings, args: argparse.Namespace) -> int:
    if not (args.readers / "questions.jsonl").exists():
        raise QAError(f"{args.readers}: no questions.jsonl (expected the news_readers shape)")
    if args.hold_out is not None and not 0 <= args.hold_out < args.folds:
        raise QAError(f"--hold-out must be between 0 and {args.folds - 1}")
    squad = None if str(args.squad) == "none" else args.squad
    card = adaptation.run(args.readers, squad, args.out, Path(resolve_model_path(settings.model)), args.folds,
                          args.hold_out, args.epochs, log=lambda line: print(line, file=sys.stderr),
                          base_name=settings.model)
    print(json.dumps(card, indent=1))
    return 0
