"""The same store contents, the same question: the same answer, whichever backend or process asks
(issue #23). A SQLite store copied by `qa migrate` into PostgreSQL shows or withholds the same
answers, in the same sentences, with the same confidence and the same decision features; two
processes opened on one store answer to the last bit alike, whatever their string hashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from index.backend import open_migration
from index.embedders.base import FakeEmbedder
from qa.ingest.ingestion import DocumentInput
from qa.migration import migrate
from qa.service import QAService
from qa.settings import Settings
from qa.startup import backend_config
from tests.conftest import ROOT, SEED_ID, SEEDS

SQUAD = ROOT / "bench" / "data" / "squad_train"
ARTICLES = ("Genocide", "Antibiotics", "The_Legend_of_Zelda:_Twilight_Princess")


def _load(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _questions() -> list[tuple[str, str | None]]:
    """The seed's questions, every fourth SQuAD question of the articles (answerable or not), and
    some asked of one article."""
    seed: list[tuple[str, str | None]] = [(str(q["question"]), None) for q in _load(
        ROOT / "tests" / "data" / "seed_questions.jsonl") if "question" in q]
    squad: list[tuple[str, str | None]] = [(str(q["question"]), None) for q in _load(SQUAD / "questions.jsonl")
                                           if q["document_id"] in ARTICLES]
    scoped: list[tuple[str, str | None]] = [(q, doc) for (q, _), doc in zip(squad[1::20], [*ARTICLES, SEED_ID] * 10,
                                                                             strict=False)]
    return seed + squad[::4] + scoped


def _settings(folder: Path) -> Settings:
    # The shipped decision, not the neutral one: its confidence moves with every feature.
    return Settings(data_dir=folder, seeds_dir=SEEDS, embedder="fake")


def _answers(service: QAService, questions: list[tuple[str, str | None]]) -> list[dict[str, object]]:
    out = []
    for text, document_id in questions:
        result = service.ask(text, document_id)
        judged = service.judged(text, document_id)
        features = judged.evidence.vector().tolist() if judged.evidence is not None else []
        out.append({"answer": result.answer and (result.answer.document_id, result.answer.sentence_index),
                    "passages": [(p.document_id, p.sentence_index) for p in result.passages],
                    "confidence": judged.confidence, "features": features})
    return out


@pytest.fixture
def sqlite_folder(tmp_path: Path) -> Path:
    """The seed and three SQuAD articles; the first article replaced last, so that its sentence ids
    come after the others' although it was created first."""
    service = QAService.open(_settings(tmp_path / "data"), FakeEmbedder())
    corpus = {str(d["id"]): d for d in _load(SQUAD / "corpus.jsonl") if d["id"] in ARTICLES}
    for doc in [*corpus.values(), corpus[ARTICLES[0]]]:
        text = str(doc["text"]) + (" It was revised." if doc is corpus[ARTICLES[0]] and service.has_document(
            ARTICLES[0]) else "")
        service.put(DocumentInput(text=text, id=str(doc["id"]), title=str(doc["title"])))
    service.close()
    return tmp_path / "data"


def test_a_migrated_store_answers_every_question_as_sqlite_does(sqlite_folder: Path, postgres_url: str) -> None:
    settings, questions = _settings(sqlite_folder), _questions()
    sqlite = QAService.open(settings, FakeEmbedder())
    source, open_target = open_migration(backend_config(settings), postgres_url)
    migrate(source, open_target)
    source.close()
    postgres = QAService.open(settings.model_copy(update={"database_url": SecretStr(postgres_url)}), FakeEmbedder())
    try:
        on_sqlite, on_postgres = _answers(sqlite, questions), _answers(postgres, questions)
    finally:
        postgres.close()
        sqlite.close()
    shown = [a["answer"] is not None for a in on_sqlite]
    assert 0 < sum(shown) < len(shown)  # both outcomes are put to the test
    for (text, _), a, b in zip(questions, on_sqlite, on_postgres, strict=True):
        assert (a["answer"], a["passages"]) == (b["answer"], b["passages"]), text
        assert abs(float(a["confidence"]) - float(b["confidence"])) <= 1e-6, text  # type: ignore[arg-type]
        assert np.allclose(a["features"], b["features"], rtol=0, atol=1e-9), text  # type: ignore[arg-type]


_ASK = """
import json, sys
from qa.service import QAService
from qa.settings import Settings
from tests.qa.test_backend_parity import _answers
service = QAService.open(Settings())
print(json.dumps([{**a, "confidence": float(a["confidence"]).hex()} for a in _answers(service, json.load(sys.stdin))]))
service.close()
"""


def _in_a_process(env: dict[str, str], questions: list[tuple[str, str | None]], hash_seed: int) -> object:
    done = subprocess.run([sys.executable, "-c", _ASK], input=json.dumps(questions), capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **env, "PYTHONHASHSEED": str(hash_seed), "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout)


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest, sqlite_folder: Path) -> Iterator[dict[str, str]]:
    env = {"QA_DATA_DIR": str(sqlite_folder), "QA_SEEDS_DIR": str(SEEDS), "QA_EMBEDDER": "fake",
           "QA_ANSWER_CACHE_SIZE": "0"}
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = _settings(sqlite_folder)
        source, open_target = open_migration(backend_config(settings), url)
        migrate(source, open_target)
        source.close()
        env["QA_DATABASE_URL"] = url
    yield env


def test_two_processes_answer_to_the_last_bit_alike(store_env: dict[str, str]) -> None:
    # Different string hashing, so sets of words are walked in different orders in each process.
    questions = _questions()[::3]
    assert _in_a_process(store_env, questions, 1) == _in_a_process(store_env, questions, 2)
