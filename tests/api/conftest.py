"""Every API test that builds the service from `settings` runs twice: on the embedded backend
(SQLite + FAISS) and on PostgreSQL + pgvector."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.settings import Settings
from tests.conftest import ADMIN_KEY, NEUTRAL, SEEDS


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    return Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", answerability_model=NEUTRAL,
                    admin_key=ADMIN_KEY,
                    conversation_ttl_seconds=60, max_conversations=100, database_url=url)
