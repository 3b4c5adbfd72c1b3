"""kill -9 at random moments during a stream of ingests: after every restart each acknowledged
document is present, searchable and stored once, and the index matches the store. On both
backends: SQLite + FAISS files, and PostgreSQL (where the API process dies, not the database)."""

from __future__ import annotations

import http.client
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import NEUTRAL
from tests.helpers import call, free_port, start_serve

pytestmark = pytest.mark.slow

KILLS = 50
KEY = "crash-key"


def _call(url: str, method: str = "GET", body: dict[str, object] | None = None) -> tuple[int, object]:
    return call(url, method, body, key=KEY, timeout=10)


def _start(data_dir: Path, port: int, database_url: str | None) -> subprocess.Popen[bytes]:
    env = {"QA_DATA_DIR": str(data_dir), "QA_EMBEDDER": "fake", "QA_ANSWERABILITY_MODEL": str(NEUTRAL),
           "QA_ADMIN_KEY": KEY, "QA_PORT": str(port), "QA_SEEDS_DIR": str(data_dir / "no-seeds")}
    if database_url:
        env["QA_DATABASE_URL"] = database_url
    return start_serve(env, f"http://127.0.0.1:{port}")


def _verify(base: str, acknowledged: dict[str, str]) -> None:
    status, docs = _call(base + "/documents")
    assert status == 200 and isinstance(docs, list)
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids)), "a document is stored twice"
    assert set(acknowledged) <= set(ids), f"lost: {set(acknowledged) - set(ids)}"
    _, ready = _call(base + "/readyz")
    assert isinstance(ready, dict) and ready["sentences"] == sum(d["sentences"] for d in docs)
    for doc_id, text in acknowledged.items():
        status, doc = _call(f"{base}/documents/{doc_id}")
        assert status == 200 and isinstance(doc, dict) and doc["text"] == text
    for doc_id in random.sample(sorted(acknowledged), min(5, len(acknowledged))):
        _, answer = _call(base + "/ask", "POST", {"question": "Which harbour did the ship leave?",
                                                   "document_id": doc_id, "top_k": 1})
        assert isinstance(answer, dict) and answer["passages"][0]["document_id"] == doc_id


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_acknowledged_writes_survive_kill_minus_nine(tmp_path: Path, backend: str,
                                                     request: pytest.FixtureRequest) -> None:
    database_url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    rng = random.Random(1234)
    acknowledged: dict[str, str] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    counter = 0

    def writer(stop: threading.Event) -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1
            doc_id, text = f"d{counter}", f"The ship {counter} left harbour {counter % 7} at dawn. It sailed north."
            try:
                status, _ = _call(base + "/documents", "POST", {"id": doc_id, "text": text})
            except (OSError, http.client.HTTPException):  # IncompleteRead: killed while answering
                return  # the server died mid-request: not acknowledged
            if status in (200, 201):
                acknowledged[doc_id] = text

    for _ in range(KILLS):
        proc = _start(tmp_path, port, database_url)
        _verify(base, acknowledged)
        stop = threading.Event()
        thread = threading.Thread(target=writer, args=(stop,))
        thread.start()
        time.sleep(rng.uniform(0.02, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        thread.join()
    proc = _start(tmp_path, port, database_url)
    try:
        _verify(base, acknowledged)
        assert len(acknowledged) > KILLS  # the stream really wrote between kills
    finally:
        proc.kill()
        proc.wait()
