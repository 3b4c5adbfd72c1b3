"""Issue 26, item 2: a large document write in `qa serve` (a 1 MB numbered list, the costliest text
per character for sentence splitting) must not starve readers, and a SIGTERM during it must end the
server within seconds without acknowledging the write."""

from __future__ import annotations

import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.door import costly_document
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEEDS
from tests.helpers import call, free_port, start_serve

pytestmark = pytest.mark.slow
KEY = "isolation-key"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"QA_DATA_DIR": str(tmp_path / "data"), "QA_EMBEDDER": "fake", "QA_ADMIN_KEY": KEY,
           "QA_PORT": str(port), "QA_SEEDS_DIR": str(SEEDS), "QA_MIN_FREE_BYTES": "0"}
    proc = start_serve(env, url, tmp_path / "server.log")
    try:
        yield url, proc
    finally:
        proc.kill()  # its ingest child ends by itself once it finds the server gone
        proc.wait(30)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime in clock ticks (100 a second on Linux)


def _write_in_background(url: str, outcome: dict[str, Any]) -> threading.Thread:
    def write() -> None:
        try:
            outcome["status"] = call(url + "/documents", "POST", costly_document(1), key=KEY, timeout=600)[0]
        except OSError as exc:  # the server went away without answering: not acknowledged either
            outcome["status"] = repr(exc)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _ask_ms(url: str, i: int) -> float:
    started = time.perf_counter()
    status, _ = call(url + "/ask", "POST", {"question": f"What did the mayor say about the port {i}?"})
    assert status == 200
    return (time.perf_counter() - started) * 1000


def test_a_reader_is_not_starved_while_a_large_document_is_written(
        server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, proc = server
    idle = [_ask_ms(url, i) for i in range(30)]
    outcome: dict[str, Any] = {}
    cpu = _cpu_seconds(proc.pid)
    writer = _write_in_background(url, outcome)
    during: list[float] = []
    while writer.is_alive() and len(during) < 400:
        during.append(_ask_ms(url, len(during)))
    writer.join(600)
    spent = _cpu_seconds(proc.pid) - cpu
    assert outcome["status"] == 201
    assert len(during) >= 20, "the write ended before the reader could sample it"
    # Measured before (splitting in the serving process): idle median 3.8 ms, during 18.3 ms (p90 30),
    # and 15 s of the serving process's CPU. After (a niced child, its CPU not counted here): 3.2 ms,
    # 3.9 ms (p90 12), 2.8 s, the reader's own 400 questions included.
    idle_ms, during_ms = statistics.median(idle), statistics.median(during)
    assert during_ms < 2 * idle_ms + 5, f"reader median {idle_ms:.1f} ms idle, {during_ms:.1f} ms during the write"
    assert spent < 6, f"the serving process spent {spent:.1f} s of CPU on the write"


def test_sigterm_during_a_large_write_ends_the_server_at_once_and_acknowledges_nothing(
        server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    url, proc = server
    outcome: dict[str, Any] = {}
    writer = _write_in_background(url, outcome)
    time.sleep(2)  # the body is sent and the document is being split
    assert writer.is_alive()
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    took = time.monotonic() - started
    writer.join(30)
    assert took < 5, f"shutdown took {took:.1f} s"
    assert outcome["status"] not in range(200, 300), outcome
    service = QAService.open(Settings(data_dir=tmp_path / "data", embedder="fake", seeds_dir=SEEDS))
    try:
        assert not service.has_document("costly-1")  # nothing half-written either
    finally:
        service.close()
