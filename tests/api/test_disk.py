"""Issue 26, item 12: a write that could not be made durable is not a 200 (SQLite + FAISS; the
PostgreSQL server's disk is its own), and a full disk at shutdown is a warning, not a traceback."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedders.base import FakeEmbedder
from index.errors import StorageFull
from index.faiss.vectors import VectorIndex
from index.sqlite.seal import Seal
from qa.service import QAService
from qa.settings import Settings


@pytest.fixture(autouse=True)
def _sqlite_only(backend: str) -> None:
    if backend == "postgres":
        pytest.skip("the database server's disk is its own")


def _docs(n: int) -> list[dict[str, str]]:
    return [{"id": f"d{i}", "text": f"Article {i} says the ferry sails at noon. " * 100} for i in range(n)]


def test_a_batch_is_estimated_whole_not_document_by_document(client: TestClient, admin: dict[str, str],
                                                             service: QAService,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.disk_usage
    room = service.settings.min_free_bytes + 1_000_000  # each document fits (about 330 kB); 29 do not
    monkeypatch.setattr("index.sqlite.backend.shutil.disk_usage", lambda p: real(p)._replace(free=room))
    assert client.post("/documents", json=_docs(1)[0], headers=admin).status_code == 201
    r = client.post("/documents/batch", json={"documents": _docs(30)[1:]}, headers=admin)
    assert r.status_code == 507 and r.json()["error"]["code"] == "insufficient_storage"
    assert client.get("/documents/d2").status_code == 404  # nothing of the batch stored


def test_a_vector_file_that_could_not_be_saved_is_507_not_200(client: TestClient, admin: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> None:
        raise StorageFull("no space left to write vectors.faiss")

    monkeypatch.setattr(VectorIndex, "save", full)
    for r in (client.post("/documents", json=_docs(1)[0], headers=admin),
              client.post("/documents/batch", json={"documents": _docs(3)[1:]}, headers=admin)):
        assert r.status_code == 507, r.text
        assert "vector index file could not be saved" in r.json()["error"]["message"]
    assert client.get("/documents/d2").status_code == 200  # in the database, served: the message says so
    assert client.post("/ask", json={"question": "When does the ferry sail?"}).status_code == 200


def test_a_full_disk_at_shutdown_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    database = tmp_path / "qa.sqlite3"
    database.write_bytes(b"x")
    seal = Seal(database)

    def full(*_: object) -> None:
        raise StorageFull("no space left to write qa.sqlite3.seal")

    monkeypatch.setattr("index.sqlite.seal.atomic_write", full)
    with caplog.at_level(logging.WARNING):
        seal.close()  # no exception
    assert "could not be sealed" in caplog.text


def test_a_first_start_on_a_small_disk_serves_without_the_seed(settings: Settings, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # Issue 26, item 6: less free disk than QA_MIN_FREE_BYTES used to keep the service from ever
    # becoming ready (the seed write refused, the start retried for ever).
    small = settings.model_copy(update={"data_dir": tmp_path / "small", "min_free_bytes": 10**15})
    with caplog.at_level(logging.WARNING):
        service = QAService.open(small, FakeEmbedder())
    try:
        with TestClient(create_app(small, service)) as c:
            ready = c.get("/readyz")
            assert ready.status_code == 200 and ready.json()["documents"] == 0
            assert "seed articles were not stored" in ready.json()["problems"][0]
            assert c.post("/ask", json={"question": "Who runs the port?"}).status_code == 200
        assert service.backend.get_meta("seeded") is None  # tried again at the next start
        assert "seed articles were not stored" in caplog.text
    finally:
        service.close()
    with TestClient(create_app(settings, QAService.open(settings, FakeEmbedder()))) as c:
        assert "problems" not in c.get("/readyz").json()  # a start with room says nothing
