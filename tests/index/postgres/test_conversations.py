"""Conversations in PostgreSQL: trimming them is housekeeping that never waits on, deadlocks
with, or fails a question from another process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.embedders.base import FakeEmbedder
from index.errors import StoreUnavailable
from index.postgres.conversations import PostgresConversations
from index.postgres.store import PostgresStore
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import NEUTRAL, SEEDS


@pytest.fixture
def sessions(postgres_url: str) -> Iterator[PostgresConversations]:
    store = PostgresStore(postgres_url, 8)
    yield PostgresConversations(store)
    store.close()


def test_a_trim_skips_rows_another_process_holds(sessions: PostgresConversations, postgres_url: str) -> None:
    now = time.time()
    for i in range(6):
        sessions.put_conversation(f"c{i}", "ip:1.2.3.4", now + i, "[]")
    with psycopg.connect(postgres_url) as other:  # another process, mid-way through its own trim
        other.execute("SELECT id FROM qa_conversations WHERE id IN ('c0', 'c1') FOR UPDATE")
        trim = threading.Thread(target=sessions.prune_conversations, args=("ip:1.2.3.4", 2, 0.0, 1000))
        trim.start()
        trim.join(timeout=20)
        waited = trim.is_alive()
        other.rollback()
    trim.join()
    assert not waited  # it did not wait for the held rows (waiting is what deadlocked)
    kept = {row for row in ("c0", "c1", "c2", "c3", "c4", "c5") if sessions.get_conversation(row)}
    assert kept == {"c0", "c1", "c4", "c5"}  # the held ones are left for a later trim


def test_a_failing_trim_never_fails_a_question(postgres_url: str, tmp_path: object,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=f"{tmp_path}/d", seeds_dir=SEEDS, embedder="fake",
                        answerability_model=NEUTRAL, database_url=postgres_url)
    service = QAService.open(settings, FakeEmbedder())

    def deadlock(*args: object) -> None:
        raise StoreUnavailable("PostgreSQL failed: DeadlockDetected")

    monkeypatch.setattr(PostgresConversations, "prune_conversations", deadlock)
    try:
        with TestClient(create_app(settings, service)) as c:
            assert c.post("/ask", json={"question": "what did Brokenshire say?"}).status_code == 200
    finally:
        service.close()
