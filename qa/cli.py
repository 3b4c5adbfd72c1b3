"""The `qa` command: serve, ask, ingest, documents, insights, mcp, migrate, train."""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from index.backend import open_migration
from qa.errors import QAError, StoreError
from qa.settings import Settings

# The SQuAD training part shipped with the project (CC BY-SA 4.0, see its README).
TRAINING_DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "squad_train"

if TYPE_CHECKING:
    from qa.ingest.bulk import Entry, Failure, Report
    from qa.service import QAService

EXAMPLES = {
    "serve": "examples:\n  qa serve\n  QA_ADMIN_KEY=secret qa serve --host 0.0.0.0 --port 8080",
    "ask": 'examples:\n  qa ask "what did Brokenshire say?"\n'
           '  qa ask "Who is the mayor?" --document 000_faad21c899ddfd9f --json',
    "ingest": "examples:\n  qa ingest seeds/\n  qa ingest article.html notes.md story.json\n"
              "  qa ingest archive.jsonl        # one document a line: {\"id\", \"title\", \"text\", \"url\", ...}\n"
              "  zcat archive.jsonl.gz | qa ingest -\n"
              "Run again after an interruption, it skips what is stored unchanged.",
    "documents": "examples:\n  qa documents\n  qa documents --json",
    "insights": "examples:\n  qa insights\n  qa insights --document 000_faad21c899ddfd9f --since 7\n"
                "  qa insights --json > insights.json\nRecorded while QA_INSIGHTS=true (docs/insights.md).",
    "train": "examples:\n  qa train --out /tmp/answerability.json\n"
             "  qa train --corpus my/corpus.jsonl --questions my/questions.jsonl --precision 0.85\n"
             "  QA_ANSWERABILITY_MODEL=/tmp/answerability.json qa serve   # use what it learned",
    "train-encoder": "examples:\n  qa train-encoder --readers ../shared/train/news_readers --out /tmp/encoder.npz\n"
                     "  qa train-encoder --readers DIR --hold-out 0 --out /tmp/fold0.npz   # measure on fold 0\n"
                     "  QA_ENCODER_ADAPTER=/tmp/encoder.npz qa serve   # use it (stored sentences re-embedded once)",
    "mcp": "examples (an agent starts it; see the README for its configuration):\n  qa mcp\n"
           "  QA_DATA_DIR=/srv/qa/data qa mcp",
    "migrate": "examples:\n  qa migrate --to postgresql://qa:secret@db.example.com/qa\n"
               "  QA_DATA_DIR=/srv/qa/data QA_DATABASE_URL=postgresql://qa@db/qa qa migrate",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Extractive question answering over news articles.",
        epilog="Settings come from QA_* environment variables; see the README.")
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter

    serve = sub.add_parser("serve", help="run the HTTP API and widget", epilog=EXAMPLES["serve"], formatter_class=fmt)
    serve.add_argument("--host", help="address to bind (default QA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default QA_PORT or 8000)")

    ask = sub.add_parser("ask", help="answer one question (no server needed)", epilog=EXAMPLES["ask"],
                         formatter_class=fmt)
    ask.add_argument("question")
    ask.add_argument("--document", help="search only this document id")
    ask.add_argument("--top-k", type=int, default=3, help="passages to show (default 3)")
    ask.add_argument("--json", action="store_true", help="print the full response as JSON")

    ingest = sub.add_parser("ingest", help="add .txt/.md/.html/.json files, folders, JSONL archives or - (stdin)",
                            epilog=EXAMPLES["ingest"], formatter_class=fmt)
    ingest.add_argument("paths", nargs="+", type=Path, help="files, folders, .jsonl archives; - reads JSONL from stdin")
    ingest.add_argument("--batch-sentences", type=int, default=2048,
                        help="sentences embedded and written together (default 2048; memory grows with it)")
    ingest.add_argument("--replace", action="store_true", help="replace documents whose id already exists")

    docs = sub.add_parser("documents", help="list stored documents", epilog=EXAMPLES["documents"],
                          formatter_class=fmt)
    docs.add_argument("--json", action="store_true")

    insights = sub.add_parser("insights", help="what readers asked that the articles did not answer (QA_INSIGHTS)",
                              epilog=EXAMPLES["insights"], formatter_class=fmt)
    insights.add_argument("--document", help="only this article's questions")
    insights.add_argument("--since", type=int, default=30, metavar="DAYS", help="the last DAYS days (default 30)")
    insights.add_argument("--json", action="store_true", help="the report as JSON")

    train = sub.add_parser("train", help="learn when to answer (the answerability model) from SQuAD-style data",
                           epilog=EXAMPLES["train"], formatter_class=fmt)
    train.add_argument("--corpus", type=Path, default=TRAINING_DATA / "corpus.jsonl",
                       help="JSONL articles {id, title, text} (default: the SQuAD part in bench/data)")
    train.add_argument("--questions", type=Path, default=TRAINING_DATA / "questions.jsonl",
                       help="JSONL {question, document_id, answerable, answers: [{text}]}")
    train.add_argument("--precision", type=float, default=0.9,
                       help="share of shown answers that must be right on held-out articles (default 0.9)")
    train.add_argument("--out", type=Path, required=True, help="where to write the model (JSON with a checksum)")
    train.add_argument("--examples", type=Path, help="also save the training examples (.npz) for bench/ablation.py")
    train.add_argument("--readers", type=Path,
                       help="also learn from reader questions: a folder with corpus.jsonl and questions.jsonl "
                            "(the news_readers shape), asked of their own article as the widget asks")

    enc = sub.add_parser("train-encoder", help="adapt the encoder to how readers ask (low-rank adapter, PyTorch)",
                         epilog=EXAMPLES["train-encoder"], formatter_class=fmt)
    enc.add_argument("--readers", type=Path, required=True,
                     help="folder with corpus.jsonl and questions.jsonl (news_readers shape); read, never copied")
    enc.add_argument("--squad", type=Path, default=TRAINING_DATA, help="SQuAD-style folder also learned from "
                     "(default: the part in bench/data); `none` for readers only")
    enc.add_argument("--hold-out", type=int, help="leave this fold's articles out and report P@1 on them")
    enc.add_argument("--folds", type=int, default=5, help="folds by article (default 5)")
    enc.add_argument("--epochs", type=int, default=1)
    enc.add_argument("--out", type=Path, required=True, help="adapter file (.npz); its card goes beside it (.json)")

    sub.add_parser("mcp", help="serve the MCP tools to a local agent over stdio (no server needed)",
                   epilog=EXAMPLES["mcp"], formatter_class=fmt)

    migrate = sub.add_parser("migrate", help="copy the SQLite + FAISS data in QA_DATA_DIR into PostgreSQL",
                             epilog=EXAMPLES["migrate"], formatter_class=fmt)
    migrate.add_argument("--to", help="target postgresql:// URL (default QA_DATABASE_URL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "migrate":
            return _migrate(settings, args)
        if args.command in ("train", "train-encoder"):
            from qa.learn import commands  # heavy (the model, scikit-learn); not needed for other verbs

            return commands.train(settings, args) if args.command == "train" else commands.train_encoder(settings, args)
        if args.command == "mcp":
            # By import string, as `qa serve` names the app: this layer never imports the API layer above it.
            importlib.import_module("api.mcp").serve_stdio(settings)
            return 0
        from qa.service import QAService  # heavy: loads the model; not needed for --help

        service = QAService.open(settings)
        try:
            verbs = {"ask": _ask, "ingest": _ingest, "documents": _documents, "insights": _insights}
            status = verbs[args.command](service, args)
            sys.stdout.flush()  # here, where a closed pipe can be caught, rather than at exit
            return status
        finally:
            service.close()
    except (QAError, StoreError) as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left early (`qa ask --json | head`): what it wanted it has. Point stdout at
        # /dev/null so that the interpreter's last flush does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from qa import server

    server.run(settings, args.host or settings.host, args.port or settings.port)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from qa.migration import migrate
    from qa.startup import backend_config

    url = args.to or (settings.database_url.get_secret_value() if settings.database_url else None)
    if not url or not url.startswith(("postgresql://", "postgres://")):
        raise QAError("give the target with --to postgresql://... or QA_DATABASE_URL")
    if not settings.database_path.exists():
        raise QAError(f"no embedded database at {settings.database_path} (set QA_DATA_DIR)")
    source, open_target = open_migration(backend_config(settings), url)
    try:
        report = migrate(source, open_target,
                         lambda doc_id: print(f"copied {doc_id}", file=sys.stderr))
    finally:
        source.close()
    again = f" ({report.revectored} with their vectors copied again)" if report.revectored else ""
    print(f"{report.copied} copied, {report.unchanged} unchanged{again}, {report.feedback} feedback items")
    return 0


def _ask(service: QAService, args: argparse.Namespace) -> int:
    if not 1 <= args.top_k <= 50:
        raise QAError("--top-k must be between 1 and 50")
    result = service.ask(args.question, args.document, args.top_k)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return 0
    if result.answer is None:
        print("No answer in the articles.")
    else:
        a = result.answer
        print(f"{a.text}\n  — {a.document_title} (sentence {a.sentence_index}, score {a.score:.3f})")
    return 0


def _ingest(service: QAService, args: argparse.Namespace) -> int:
    """Every document is counted: added, replaced, unchanged or skipped with its reason. One that
    could not be read, cleaned or stored is skipped, not fatal to the rest (exit status 1 then)."""
    from tqdm import tqdm

    from qa.ingest.bulk import BulkIngest

    if not 1 <= args.batch_sentences <= 100_000:
        raise QAError("--batch-sentences must be between 1 and 100000")
    entries, skipped, total = _entries(args.paths)
    with tqdm(total=total, unit="doc", desc="ingesting", file=sys.stderr, disable=None) as bar:
        def progress(report: Report) -> None:
            bar.update(report.done - bar.n)
            bar.set_postfix(sentences=report.sentences, refresh=False)

        def failed(failure: Failure) -> None:
            bar.write(f"skipped {failure.name}: {failure.message}", file=sys.stderr)

        def stored(document_id: str, name: str, outcome: str) -> None:
            # The id is what a page's widget names (data-document-id): say which one each file got,
            # and where to try the widget on it.
            line = _stored_line(document_id, name, outcome)
            bar.write(f"{line}  {preview_url(service.settings, document_id)}", file=sys.stdout)

        report = BulkIngest(service, replace_existing=args.replace, batch_sentences=args.batch_sentences,
                            on_progress=progress, on_failure=failed,
                            on_stored=stored).run(entries)
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    counts = {"added": report.added, "unchanged": report.unchanged, "replaced": report.replaced,
              "skipped": report.failed + len(skipped)}
    print(", ".join(f"{n} {k}" for k, n in counts.items()) + f"; {report.sentences} sentences embedded")
    return 1 if report.failed else 0


def preview_url(settings: Settings, document_id: str) -> str:
    """The article's preview page (GET /preview/ID: its text with the widget) on `qa serve`."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # bound everywhere: here too
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}/preview/{quote(document_id, safe='/:')}"


def _stored_line(document_id: str, name: str, outcome: str) -> str:
    return f"{document_id} <- {name}" + ("" if outcome == "added" else f" ({outcome})")


def _entries(paths: list[Path]) -> tuple[Iterator[Entry], list[tuple[Path, str]], int | None]:
    """The documents of every path in order (`-`: JSONL from stdin), the files skipped inside
    folders, and how many documents there are when that is known without reading stdin."""
    from qa.ingest.archive import ARCHIVE_SUFFIXES, from_files, from_jsonl
    from qa.ingest.ingestion import survey

    stdin = [p for p in paths if str(p) == "-"]
    if len(stdin) > 1:
        raise QAError("- (stdin) can be given once")
    files, skipped = survey([p for p in paths if str(p) != "-"])
    total = None if stdin else sum(_lines(f) if f.suffix.lower() in ARCHIVE_SUFFIXES else 1 for f in files)
    stream = from_files(files)
    if stdin:
        stream = itertools.chain(stream, from_jsonl(sys.stdin.buffer, "stdin"))
    return stream, skipped, total


def _lines(path: Path) -> int:
    """Non-blank lines: the progress bar's total (read line by line; an archive is never held whole)."""
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def _documents(service: QAService, args: argparse.Namespace) -> int:
    docs = service.documents()
    if args.json:
        print(json.dumps([{"id": d.id, "title": d.title, "sentences": d.sentence_count,
                           "preview": preview_url(service.settings, d.id)} for d in docs], indent=2))
    for d in [] if args.json else docs:
        print(f"{d.id}\t{d.sentence_count}\t{d.title}\t{preview_url(service.settings, d.id)}")
    return 0


def _insights(service: QAService, args: argparse.Namespace) -> int:
    from qa.insights.text import as_text

    if not 1 <= args.since <= 3650:
        raise QAError("--since must be between 1 and 3650 days")
    print(as_text(service.insights.report(args.document, args.since), args.since, args.json), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
