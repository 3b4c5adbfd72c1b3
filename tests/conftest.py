"""Shared fixtures. Unit tests use the deterministic fake embedder: fast, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedder import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ID = "000_faad21c899ddfd9f"
ADMIN_KEY = "test-admin-key"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", seeds_dir=SEEDS, embedder="fake", admin_key=ADMIN_KEY,
                    conversation_ttl_seconds=60, max_conversations=100)


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
