"""What several test modules share: a free port, a uvicorn server in a thread, `qa serve` in a
subprocess, plain-HTTP calls and the API's error shape. One copy here rather than one per module."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import uvicorn

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Machines shared by several test runs can set a range each, so servers never race for a port.
PORT_RANGE = "TEST_PORT_RANGE"  # e.g. "18300-18399"
_next_port = [0]
_port_lock = threading.Lock()


def free_port() -> int:
    """A port nothing listens on: from $TEST_PORT_RANGE when set, else one the system picks."""
    span = os.environ.get(PORT_RANGE)
    if not span:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    low, high = (int(p) for p in span.split("-"))
    with _port_lock:
        for _ in range(high - low + 1):
            port = low + _next_port[0] % (high - low + 1)
            _next_port[0] += 1
            if _bindable(port):
                return port
    raise RuntimeError(f"no free port in {PORT_RANGE}={span}")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(condition: Any, what: str, attempts: int = 600, pause: float = 0.05) -> None:
    """Poll `condition` until it holds: for another process or uvicorn's loop, which offer no event
    to wait on. Bounded by attempts, and nothing is asserted about how long it took."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(pause)
    raise AssertionError(f"gave up waiting: {what}")


@contextmanager
def serving(settings: Settings, service: QAService) -> Iterator[str]:
    """The app on a real uvicorn server in a thread; yields its base URL and stops it afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), "uvicorn to start")
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def call(url: str, method: str = "GET", body: dict[str, Any] | None = None, key: str | None = None,
         timeout: float = 30) -> tuple[int, Any]:
    """One JSON request over a real socket: (status, decoded body or None)."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return int(r.status), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, None


def is_ready(url: str) -> bool:
    try:
        return call(url + "/readyz", timeout=2)[0] == 200
    except OSError:
        return False


def start_serve(env: dict[str, str], url: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """`qa serve` in a subprocess with `env` over ours; returns once it is ready (or fails if it exits)."""
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], cwd=ROOT, env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log and not isinstance(out, int):
            out.close()
    try:
        wait_for(lambda: proc.poll() is not None or is_ready(url), "qa serve to become ready", attempts=1800, pause=0.1)
    except AssertionError:
        proc.kill()
        raise
    if proc.poll() is not None:
        raise AssertionError(f"qa serve exited with {proc.returncode}")
    return proc


class Response(Protocol):
    """What `is_error` reads of a response (TestClient's and httpx's alike)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def is_error(r: Response, status: int, code: str) -> None:
    """The API's one error shape: a code and a message, no traceback."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    assert "Traceback" not in r.text
