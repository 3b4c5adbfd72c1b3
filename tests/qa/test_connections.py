"""Issue 26, item 1 against a real `qa serve`: connections without a key that hold the door
(a request head, then a body trickled a byte at a time; or a head trickled) no longer keep
readers out of a full QA_MAX_CONNECTIONS, and a keyless write is refused before its body."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import NEUTRAL, SEEDS
from tests.helpers import free_port, start_serve

pytestmark = pytest.mark.slow
CAP = 20


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    env = {"QA_DATA_DIR": str(tmp_path_factory.mktemp("door")), "QA_SEEDS_DIR": str(SEEDS), "QA_EMBEDDER": "fake",
           "QA_ANSWERABILITY_MODEL": str(NEUTRAL), "QA_PORT": str(port), "QA_ADMIN_KEY": "door-test",
           "QA_MAX_CONNECTIONS": str(CAP), "QA_HEADER_TIMEOUT_SECONDS": "30", "QA_BODY_TIMEOUT_SECONDS": "30",
           "QA_MAX_SLOW_CONNECTIONS": "5"}
    proc = start_serve(env, f"http://127.0.0.1:{port}")
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _reader(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/documents", timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _hold(port: int, head: bytes, trickle: bytes, stop: threading.Event) -> None:
    """One attacker: reconnects whenever cut, sends `head`, then a byte of `trickle` every 0.5 s."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(head)
                for byte in trickle:
                    if stop.wait(0.5):
                        return
                    conn.sendall(bytes([byte]))
        except OSError:
            stop.wait(0.05)


def _under_attack(port: int, head: bytes, trickle: bytes) -> list[int]:
    stop = threading.Event()
    attackers = [threading.Thread(target=_hold, args=(port, head, trickle, stop)) for _ in range(2 * CAP)]
    for t in attackers:
        t.start()
    try:
        time.sleep(4)  # every attacker connected and past the 2 s a reader's request takes at most
        return [_reader(port) for _ in range(5)]
    finally:
        stop.set()
        for t in attackers:
            t.join(10)


@pytest.mark.parametrize("path", ["/documents", "/ask"])
def test_readers_get_in_while_keyless_bodies_trickle(served: int, path: str) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    assert _under_attack(served, head.encode(), b"{" * 1000) == [200] * 5


def test_readers_get_in_while_heads_trickle(served: int) -> None:
    assert _under_attack(served, b"GET /healthz HTTP/1.1\r\n", b"X" * 1000) == [200] * 5


def test_a_keyless_write_is_answered_before_its_body_and_closed(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(b"POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 16000000\r\n\r\n{")
        answer = b""
        while chunk := conn.recv(65536):  # the server closes: recv returns b"" rather than time out
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401 ") and b'"code":"unauthorized"' in answer
