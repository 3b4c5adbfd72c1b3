"""Issue 26's second round, items 1-3, against `qa serve` on this machine (run by `python -m
bench.abuse --door`, or alone). Per attack: readers' /ask p50/p99 and status counts while it runs,
and the server's CPU per attacking request.

1. the door: connections without a key that send a request head (POST /documents, POST /ask)
   and then trickle the body a byte every 2 s, reconnecting when cut, twice QA_MAX_CONNECTIONS
   of them; then the same with request heads trickled.
2. ingest beside readers: an admin posting costly documents (numbered lists, 1 MB) from 2 clients.
3. requests that time out: the costliest accepted chat histories under QA_REQUEST_TIMEOUT_SECONDS=1,
   and how much CPU the server spends after it answered 503.

Only loopback; every phase stops by itself."""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable

from bench.abuse import ADMIN, Server, call, hammer

TRICKLE_EVERY = 2.0


def readers(server: Server, seconds: float, offset: int) -> tuple[list[float], Counter[int]]:
    """One reader asking new questions back to back for `seconds`: latencies (ms) and statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    until = time.monotonic() + seconds
    i = offset
    while time.monotonic() < until:
        status, ms = call(server.url + "/ask", {"question": f"What did the mayor say about the port {i}?"},
                          timeout=30)
        statuses[status] += 1
        if status == 200:
            latencies.append(ms)
        i += 1
    return latencies, statuses


def figures(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(cuts[98], 1)}


def holder(port: int, head: bytes, trickle: bool, stop: threading.Event, sent: Counter[str]) -> None:
    """One attacker: sends `head` (all at once, or a byte at a time) then a body byte every 2 s;
    reconnects whenever the server closes the connection."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                sent["connections"] += 1
                for part in ([bytes([b]) for b in head] if trickle else [head]) + [b"{"] * 1000:
                    conn.sendall(part)
                    if stop.wait(TRICKLE_EVERY if part == b"{" or trickle else 0):
                        return
        except OSError:
            stop.wait(0.1)


def attack_door(server: Server, seconds: float, attackers: int, trickle_head: bool) -> dict[str, object]:
    port = int(server.url.rsplit(":", 1)[1])
    heads = [f"POST {p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
             .encode() for p in ("/documents", "/ask")]
    stop, sent = threading.Event(), Counter[str]()
    threads = [threading.Thread(target=holder, args=(port, heads[i % 2], trickle_head, stop, sent), daemon=True)
               for i in range(attackers)]
    cpu = server.cpu_seconds()
    for t in threads:
        t.start()
    time.sleep(5)  # the attackers connected and settled
    latencies, statuses = readers(server, seconds, 1000)
    stop.set()
    for t in threads:
        t.join(15)
    used = server.cpu_seconds() - cpu
    name = "1 door, heads trickled" if trickle_head else "1 door, keyless bodies trickled"
    return {"attack": name, "attackers": attackers, "readers": dict(statuses), **figures(latencies),
            "attacker_connections": sent["connections"],
            "server_cpu_ms_per_attacker_connection": round(1000 * used / max(1, sent["connections"]), 2)}


def costly_document(i: int) -> dict[str, str]:
    # The costliest text per character found for sentence splitting (docs/security.md), 1 MB.
    text = "".join(f"{n % 99 + 1}. item {i} {n} " for n in range(70_000))[:1_000_000]
    return {"id": f"costly-{i}", "text": text, "format": "txt"}


def attack_ingest(server: Server, seconds: float) -> dict[str, object]:
    counter = iter(range(10**6))
    cpu = server.cpu_seconds()
    results: Counter[int] = Counter()

    def post() -> int:
        status = call(server.url + "/documents", costly_document(next(counter)),
                      {"Authorization": f"Bearer {ADMIN}"}, timeout=600)[0]
        return status

    background = threading.Thread(target=lambda: results.update(hammer(2, seconds, post)), daemon=True)
    background.start()
    latencies, statuses = readers(server, seconds, 5000)
    background.join()
    used = server.cpu_seconds() - cpu
    return {"attack": "2 ingest beside readers (2 admins, 1 MB lists)", "readers": dict(statuses),
            **figures(latencies), "writes": dict(results),
            "server_cpu_s_per_write": round(used / max(1, sum(results.values())), 1)}


def attack_timeouts(server: Server, seconds: float) -> dict[str, object]:
    names = ", ".join(f"Anna Smith{i}, Bob Jones{i}" for i in range(20_000))
    history = [{"role": "user", "content": names[i * 2000:(i + 1) * 2000]} for i in range(199)]
    body = json.dumps({"messages": [*history, {"role": "user", "content": "what did he say?"}]}).encode()
    cpu = server.cpu_seconds()
    counts = hammer(3, seconds, lambda: call(server.url + "/v1/chat/completions", body)[0])
    answered = server.cpu_seconds()
    time.sleep(10)  # what the server still spends once every client had its answer
    after = server.cpu_seconds() - answered
    latencies, statuses = readers(server, 10, 9000)
    return {"attack": "3 timed-out requests (QA_REQUEST_TIMEOUT_SECONDS=1)", "statuses": dict(counts),
            "server_cpu_ms_per_request": round(1000 * (answered - cpu) / max(1, sum(counts.values())), 1),
            "server_cpu_s_after_all_answered": round(after, 1), "readers_after": dict(statuses), **figures(latencies)}


def run(start: Callable[..., Server], seconds: float, attackers: int) -> None:
    """`start(**env)` gives a server; each attack gets a fresh one, so none inherits another's load."""
    attacks: list[tuple[dict[str, str], Callable[[Server], list[dict[str, object]]]]] = [
        ({"max_connections": str(attackers // 2)}, lambda s: [attack_door(s, seconds, attackers, trickle_head=False),
                                                             attack_door(s, seconds, attackers, trickle_head=True)]),
        ({"min_free_bytes": "0"}, lambda s: [attack_ingest(s, seconds)]),
        ({"request_timeout_seconds": "1"}, lambda s: [attack_timeouts(s, seconds)])]
    for env, attack in attacks:
        server = start(**env)
        try:
            idle, _ = readers(server, 10, 100)
            for result in attack(server):
                print(json.dumps({**result, "idle": figures(idle)}), flush=True)
        finally:
            server.stop()
