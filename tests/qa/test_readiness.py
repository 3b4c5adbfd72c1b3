"""Issue 26, item 13: /readyz answers for the whole server. With QA_WORKERS=2 one worker used to be
ready 0.5 s before the other, and a request sent in between, after a 200 from /readyz, got 503."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from qa.readiness import Readiness
from qa.service import QAService
from qa.settings import Settings


def _sibling() -> subprocess.Popen[bytes]:
    """A live process standing in for the server's other worker."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _mark_as(readiness: Readiness, pid: int) -> None:
    readiness.directory.mkdir(parents=True, exist_ok=True)
    (readiness.directory / f"{readiness.server}-{pid}").touch()


def test_the_server_is_ready_when_every_worker_is(tmp_path: Path) -> None:
    readiness = Readiness(tmp_path / "ready", workers=2)
    assert readiness.loading() == 2
    readiness.mark()
    assert readiness.loading() == 1
    other = _sibling()
    try:
        _mark_as(readiness, other.pid)
        assert readiness.loading() == 0
    finally:
        other.kill()
        other.wait()
    assert readiness.loading() == 1  # a killed worker's mark goes with it
    (tmp_path / "ready" / f"{os.getppid() + 1}-{os.getpid()}").touch()  # another server's worker
    assert readiness.loading() == 1
    readiness.clear()
    assert readiness.loading() == 2


def test_readyz_is_503_while_another_worker_loads(settings: Settings, service: QAService, tmp_path: Path) -> None:
    app = create_app(settings, service)
    readiness = Readiness(tmp_path / "ready", workers=2)
    readiness.mark()
    app.state.readiness = readiness
    with TestClient(app) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and "1 of 2 worker processes still loading" in r.json()["error"]["message"]
        other = _sibling()
        try:
            _mark_as(readiness, other.pid)
            assert c.get("/readyz").status_code == 200
        finally:
            other.kill()
            other.wait()
