"""qa/ingest/worker.py: large documents prepared in a niced child process, the same as in place;
writes in flight bounded; a stop ends a write being prepared without storing it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.errors import Busy, NotReady
from qa.ingest.bulk import BulkIngest, Entry
from qa.ingest.ingestion import DocumentInput, prepare
from qa.ingest.segmentation import Segmenter
from qa.ingest.worker import IngestWorker
from qa.service import QAService
from qa.settings import Settings
from tests.helpers import wait_for

ARTICLE = DocumentInput(text="The mayor spoke at the port. 1. first item 2. second item. Dr. Smith left.",
                        id="a", title="Port")


def test_a_large_document_is_prepared_in_a_child_as_it_is_in_place() -> None:
    worker = IngestWorker(slots=1, min_chars=0)
    try:
        assert worker.prepare(ARTICLE, Segmenter()) == prepare(ARTICLE, Segmenter())
        pool = worker._executor()
        child = next(iter(pool._processes))
        assert os.getpriority(os.PRIO_PROCESS, child) > os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        worker.stop()


def test_writes_past_the_slots_are_refused_not_queued() -> None:
    worker = IngestWorker(slots=2, min_chars=10**9)
    with worker.slot(), worker.slot():
        with pytest.raises(Busy) as refused, worker.slot():
            pass
        assert refused.value.retry_after > 0
    with worker.slot():  # released again
        pass


def test_a_write_being_prepared_is_not_stored_when_the_service_closes(settings: Settings) -> None:
    service = QAService.open(settings)
    service.ingest = IngestWorker(slots=2, min_chars=0)
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            service.put(DocumentInput(text="".join(f"{n % 99 + 1}. item {n} " for n in range(60_000)), id="big"))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(1.5)  # the child has it
    started = time.monotonic()
    service.close()
    thread.join(10)
    assert time.monotonic() - started < 5
    assert len(outcome) == 1 and isinstance(outcome[0], NotReady)
    again = QAService.open(settings)
    try:
        assert not again.has_document("big")
    finally:
        again.close()


def test_busy_is_503_with_retry_after(client: TestClient, service: QAService, admin: dict[str, str]) -> None:
    with service.ingest.slot(), service.ingest.slot():
        r = client.post("/documents", json={"text": "The mayor spoke.", "id": "x"}, headers=admin)
    assert r.status_code == 503 and r.json()["error"]["code"] == "busy"
    assert int(r.headers["Retry-After"]) > 0


def test_a_servers_batch_splits_large_documents_in_the_child(settings: Settings) -> None:
    service = QAService.open(settings)
    service.ingest = IngestWorker(slots=2, min_chars=0)
    try:
        report = BulkIngest(service, isolated=True).run([Entry(1, "a", ARTICLE)])
        assert report.added == 1 and service.ingest._pool is not None
        assert service.get("a").sentence_count == len(prepare(ARTICLE, Segmenter()).sentences)
    finally:
        service.close()


def test_the_child_ends_when_its_parent_is_gone(tmp_path: Path) -> None:
    record = tmp_path / "child"
    parent = multiprocessing.get_context("spawn").Process(target=_start_and_die, args=(str(record),))
    parent.start()
    parent.join(60)
    child = int(record.read_text())
    wait_for(lambda: not _alive(child), "the orphaned child to exit", attempts=100, pause=0.1)


def _start_and_die(record: str) -> None:
    """A parent that starts its child and is then killed with -9."""
    worker = IngestWorker(slots=1, min_chars=0)
    worker.prepare(ARTICLE, Segmenter())
    Path(record).write_text(str(next(iter(worker._executor()._processes))))
    os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
