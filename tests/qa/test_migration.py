"""`qa migrate`: an embedded deployment copied into PostgreSQL answers the same, a second run
copies nothing twice but mends vectors stored inexactly, and sentence ids keep the order they
were written in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from index.embedders.base import FakeEmbedder
from index.feedback import Feedback
from index.postgres.store import PostgresStore
from qa.cli import main
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import NEUTRAL, SEED_ID, SEEDS

QUESTIONS = ["What did Brokenshire say?", "How many migrants are in Calais?", "When did the mill close?"]


def test_migrate_copies_documents_vectors_and_feedback(tmp_path: Path, postgres_url: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    embedded = Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL)
    source = QAService.open(embedded, FakeEmbedder())
    source.put(_mill())
    source.record_feedback(Feedback(helpful=False, question="Who?"))
    before = {q: source.ask(q).answer for q in QUESTIONS}
    source.close()

    monkeypatch.setenv("QA_DATA_DIR", str(embedded.data_dir))
    assert main(["migrate", "--to", postgres_url]) == 0
    assert "2 copied, 0 unchanged, 1 feedback" in capsys.readouterr().out
    assert main(["migrate", "--to", postgres_url]) == 0
    assert "0 copied, 2 unchanged, 0 feedback" in capsys.readouterr().out

    target = QAService.open(embedded.model_copy(update={"database_url": SecretStr(postgres_url)}), FakeEmbedder())
    try:
        assert {d.id for d in target.documents()} == {"000_faad21c899ddfd9f", "mill"}
        assert target.backend.get_meta("seeded") == "1"  # the seed is not ingested a second time
        assert target.get("000_faad21c899ddfd9f").suggestions  # derived data travels with the document
        after = {q: target.ask(q).answer for q in QUESTIONS}
        assert {q: a and a.text for q, a in after.items()} == {q: b and b.text for q, b in before.items()}
        assert [f["question"] for f in target.backend.recent_feedback()] == ["Who?"]
    finally:
        target.close()


def test_migrate_needs_a_target_and_a_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    assert main(["migrate"]) == 2
    assert main(["migrate", "--to", "postgresql://qa@/qa"]) == 2
    assert "no embedded database" in capsys.readouterr().err


def _mill() -> DocumentInput:
    return DocumentInput(text="The mill closed in 1870. Its wheel still turns.", id="mill", title="Mill")


def test_migrate_keeps_when_documents_were_created_and_updated(tmp_path: Path, postgres_url: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL)
    source = QAService.open(embedded, FakeEmbedder())
    stamps = {d.id: (d.created_at, d.updated_at) for d in source.documents()}
    source.close()
    monkeypatch.setenv("QA_DATA_DIR", str(embedded.data_dir))
    monkeypatch.setattr("time.time", lambda: 4_000_000_000.0)  # "now" during the migration: far off
    assert main(["migrate", "--to", postgres_url]) == 0
    monkeypatch.undo()
    target = QAService.open(embedded.model_copy(update={"database_url": SecretStr(postgres_url)}), FakeEmbedder())
    try:
        assert {d.id: (d.created_at, d.updated_at) for d in target.documents()} == stamps
    finally:
        target.close()


def test_migrate_keeps_the_order_sentences_were_written_and_mends_inexact_vectors(
        tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    embedded = Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL)
    source = QAService.open(embedded, FakeEmbedder())
    source.put(_mill())
    seed = source.get(SEED_ID)  # created first, written again last: its ids now come after the mill's
    source.put(DocumentInput(text=seed.text + " Updated.", id=seed.id, title=seed.title, metadata=seed.metadata))
    written = [source.backend.sentence_ids(d) for d in (SEED_ID, "mill")]
    source.close()
    monkeypatch.setenv("QA_DATA_DIR", str(embedded.data_dir))
    assert main(["migrate", "--to", postgres_url]) == 0
    target = PostgresStore(postgres_url, FakeEmbedder().dim)
    try:
        copied = [target.sentence_ids(d) for d in (SEED_ID, "mill")]
        assert written[1][-1] < written[0][0] and copied[1][-1] < copied[0][0]  # the mill's first, as written
        mill = target.document_sentences("mill")
        vectors = target.embedded("mill")[1]
        target.replace_vectors([s.id for s in mill], np.round(vectors, 7))  # as an earlier release stored them
    finally:
        target.close()
    capsys.readouterr()
    assert main(["migrate", "--to", postgres_url]) == 0
    assert "0 copied, 2 unchanged (1 with their vectors copied again)" in capsys.readouterr().out
    target = PostgresStore(postgres_url, FakeEmbedder().dim)
    try:
        assert np.array_equal(target.embedded("mill")[1], vectors)
    finally:
        target.close()
