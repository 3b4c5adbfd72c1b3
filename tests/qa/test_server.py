"""`qa serve` as a client meets it: a real uvicorn server (fake embedder, so it starts at once)
against slow connections and forged proxy headers."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa import server
from qa.settings import Settings
from tests.conftest import NEUTRAL, SEEDS
from tests.helpers import free_port, start_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {"QA_DATA_DIR": str(tmp_path_factory.mktemp("served")), "QA_SEEDS_DIR": str(SEEDS), "QA_EMBEDDER": "fake",
           "QA_ANSWERABILITY_MODEL": str(NEUTRAL), "QA_PORT": str(port), "QA_RATE_LIMIT": "2/minute",
           "QA_HEADER_TIMEOUT_SECONDS": "1", "QA_ADMIN_KEY": "server-test"}
    proc = start_serve(env, f"http://127.0.0.1:{port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _ask(url: str, forwarded: str) -> int:
    request = urllib.request.Request(url + "/ask", data=json.dumps({"question": "who?"}).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_forwarded_for_from_localhost_is_ignored_without_trusted_proxies(served: str) -> None:
    # uvicorn on its own believes X-Forwarded-For from 127.0.0.1; QA_TRUSTED_PROXIES is empty here.
    codes = [_ask(served, f"203.0.113.{i}") for i in range(4)]
    assert codes[:2] == [200, 200] and codes[2:] == [429, 429]


def test_a_connection_that_trickles_its_head_is_closed(served: str) -> None:
    port = int(served.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for i in range(200):  # a header line every 0.1 s: well past the 1 s deadline
            try:
                conn.sendall(f"X-Slow-{i}: y\r\n".encode())
                time.sleep(0.1)
            except OSError:
                closed = True
                break
            conn.setblocking(False)
            try:
                closed = conn.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed = True
            conn.setblocking(True)
            if closed:
                break
        assert closed


def test_a_complete_request_on_that_server_is_answered(served: str) -> None:
    with urllib.request.urlopen(served + "/healthz", timeout=10) as r:
        assert r.status == 200


def test_serve_passes_the_connection_limits_to_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("qa.server.uvicorn.run", lambda app, **kwargs: seen.update(kwargs))
    for name in ("QA_HOST", "QA_PORT"):  # run() sets them for the app: put back afterwards
        monkeypatch.setenv(name, "1" if name == "QA_PORT" else "localhost")
    server.run(Settings(data_dir=tmp_path, max_connections=7, header_timeout_seconds=3), "127.0.0.1", 8140)
    assert seen["proxy_headers"] is False and "limit_concurrency" not in seen  # the protocol applies the cap
    assert seen["http"].keywords == {"head_timeout": 3, "cap": 7}
    assert seen["log_config"] is None  # the app sets the one log format
    assert Settings().host == "127.0.0.1" and Settings().port == 8140  # what the ready line names


def test_an_error_keeps_the_connection_usable(served: str) -> None:
    import http.client

    port = int(served.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        nested = json.dumps({"id": "deep", "format": "json", "text": "[" * 100_000}).encode()
        conn.request("POST", "/documents", body=nested,
                     headers={"Content-Type": "application/json", "Authorization": "Bearer server-test"})
        first = conn.getresponse()
        body = json.loads(first.read())
        assert first.status == 422 and body["error"]["request_id"] == first.getheader("x-request-id")
        conn.request("GET", "/healthz")  # the same connection: uvicorn did not drop it
        assert conn.getresponse().status == 200
    finally:
        conn.close()


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_a_start_says_ready_once_in_one_format_with_nothing_like_an_error(tmp_path: Path, fmt: str) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    env = {"QA_DATA_DIR": str(tmp_path / "data"), "QA_SEEDS_DIR": str(SEEDS), "QA_EMBEDDER": "fake",
           "QA_ANSWERABILITY_MODEL": str(NEUTRAL), "QA_PORT": str(port), "QA_LOG_FORMAT": fmt}
    proc = start_serve(env, f"http://127.0.0.1:{port}", log)
    proc.terminate()
    proc.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if "GET /readyz" not in line]
    assert len([line for line in lines if f"ready: http://127.0.0.1:{port} (1 article)" in line]) == 1
    assert not [line for line in lines if re.search(r"faiss|Could not load|startup complete|WARNING|ERROR", line)]
    if fmt == "json":
        assert all(json.loads(line)["message"] for line in lines)
    else:
        assert all(re.match(r"\d\d:\d\d:\d\d INFO ", line) for line in lines), lines


def _exchange(served: str, raw: bytes) -> bytes:
    """Sends `raw` on one connection and reads until the server closes it (or 3 s pass)."""
    port = int(served.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
        conn.sendall(raw)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def test_content_length_with_transfer_encoding_is_refused_not_smuggled(served: str) -> None:
    # Issue 26, item 10. Chunked used to win: /ask got an empty body, and the bytes a proxy counted
    # as that body were answered as a second request (GET /documents).
    smuggled = (b"POST /feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 48\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /documents HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = _exchange(served, smuggled)
    assert answer.count(b"HTTP/1.1 ") == 1 and answer.startswith(b"HTTP/1.1 400 ")
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "bad_request" and "Transfer-Encoding" in error["message"] and error["request_id"]


@pytest.mark.parametrize("head", [b"GET /healthz HTTP/1.1\nHost: x\n\n", b"GET /healthz HTTP/1.1\r\nHost: x\n\r\n",
                                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n\n"])
def test_a_bare_line_feed_in_a_head_is_refused(served: str, head: bytes) -> None:
    answer = _exchange(served, head)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"bare LF" in answer


def test_pipelined_well_formed_requests_are_all_answered(served: str) -> None:
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _exchange(served, one * 2 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 3
