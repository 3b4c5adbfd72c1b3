"""Replays issue 14's attacks 1-4 against `qa serve` on this machine and prints, per attack, the
server's RSS and CPU time, the data folder's growth, and the status counts.

    python -m bench.abuse                      # starts its own servers on 127.0.0.1:8140-8141
    python -m bench.abuse --seconds 60 --feedback-seconds 20
    python -m bench.abuse --door 400 --seconds 20   # issue 26, items 1-3 (bench/door.py)

1. memory from chat history: 20 user messages of 500 kB each, a fresh random bearer token each time
   (as filed), then the largest history the server accepts (200 messages of 2,000 characters).
2. CPU from follow-ups: histories of names ending in "what did he say?" from 3 parallel clients
   (3 MB as filed, then the largest accepted), while one reader's `/ask` latency is sampled.
3. a made-up bearer token per request against QA_RATE_LIMIT=5/minute (a second server).
4. disk from /feedback: 8 clients without a key posting maximum-size rows.

Only loopback; every phase stops by itself. Server defaults otherwise (the real model, as filed).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench._common import ROOT

ADMIN = "abuse-admin"
TICK = os.sysconf("SC_CLK_TCK")
WORDS = ("migrants police border camp ferry lorry trucks port officials minister funding fence security "
         "asylum refugees children britain france talks deal money mayor council tunnel trains night crossing "
         "smugglers charity food shelter winter court judge plan vote protest strike week month year").split()


class Server:
    """A `qa serve` subprocess, with its process figures read from /proc."""

    def __init__(self, data_dir: Path, port: int, root: Path = ROOT, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir = data_dir
        full = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_PORT": str(port), "QA_ADMIN_KEY": ADMIN,
                "QA_SEEDS_DIR": str(ROOT / "seeds"), **{f"QA_{k.upper()}": v for k, v in env.items()}}
        self.proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], cwd=root, env=full,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while call(self.url + "/readyz", timeout=5)[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not become ready")
            time.sleep(0.5)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime

    def disk_mb(self) -> float:
        return sum(p.stat().st_size for p in self.data_dir.rglob("*") if p.is_file()) / 1e6

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def call(url: str, body: object = None, headers: dict[str, str] | None = None,
         timeout: float = 120) -> tuple[int, float]:
    """(status, milliseconds); status 0 when no response came at all. A server may answer 413
    and close before it read a big body: that answer is read, not counted as a failure."""
    parts = urllib.parse.urlsplit(url)
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the answer may already be there
            conn.request("POST" if data else "GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                         body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    except http.client.HTTPException:
        status = 0
    finally:
        conn.close()
    return status, (time.perf_counter() - t0) * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token() -> str:
    return "r" + "".join(random.choices(string.ascii_letters, k=16))


def hammer(clients: int, seconds: float, request: Callable[[], int]) -> Counter[int]:
    """`clients` threads sending `request()` until `seconds` are up; the status counts."""
    counts: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            status = request()
            with lock:
                counts[status] += 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def report(name: str, server: Server, before: tuple[float, float, float], counts: Counter[int],
           **extra: object) -> None:
    rss, cpu, disk = before
    print(json.dumps({"attack": name, "rss_mb_before": round(rss), "rss_mb_after": round(server.rss_mb()),
                      "cpu_s": round(server.cpu_seconds() - cpu, 1),
                      "disk_mb_growth": round(server.disk_mb() - disk, 2),
                      "statuses": dict(sorted(counts.items())), **extra}), flush=True)


def snapshot(server: Server) -> tuple[float, float, float]:
    return server.rss_mb(), server.cpu_seconds(), server.disk_mb()


def chat(server: Server, messages: list[dict[str, str]]) -> Callable[[], int]:
    # Encoded once: the attacker shares this machine's cores, and its own JSON work would slow the
    # server's other readers as much as the server's work does.
    body = json.dumps({"messages": messages}).encode()
    return lambda: call(server.url + "/v1/chat/completions", body, {"Authorization": f"Bearer {token()}"})[0]


def attack_memory(server: Server, seconds: float) -> None:
    as_filed = [{"role": "user", "content": "x" * 500_000}] * 19 + [{"role": "user", "content": "who said it?"}]
    accepted = [{"role": "user", "content": f"Who is Person{i}? " + "q" * 1980} for i in range(199)]
    accepted.append({"role": "user", "content": "what did Brokenshire say?"})
    for name, messages in (("1 memory, 20 x 500 kB (as filed)", as_filed), ("1 memory, 200 x 2000 chars", accepted)):
        before = snapshot(server)
        counts = hammer(4, seconds, chat(server, messages))
        time.sleep(2)  # let the last responses go out
        report(name, server, before, counts, seconds=seconds)


def probe(server: Server, i: int) -> float:
    """One reader's /ask, a new question each time: the answer cache would hide the work."""
    question = f"What did the mayor of Calais say about {WORDS[i % len(WORDS)]} {i}?"
    return call(server.url + "/ask", {"question": question})[1]


def probing(server: Server, until: float, into: list[float], offset: int) -> None:
    while time.monotonic() < until:
        into.append(probe(server, offset + len(into)))


def attack_cpu(server: Server, seconds: float, probes: int) -> None:
    names = ", ".join(f"Anna Smith{i}, Bob Jones{i}" for i in range(60_000))  # ~3 MB
    as_filed = [{"role": "user", "content": names[:3_000_000]}, {"role": "user", "content": "what did he say?"}]
    accepted = [{"role": "user", "content": names[i * 2000:(i + 1) * 2000]} for i in range(199)]
    accepted.append({"role": "user", "content": "what did he say?"})
    for i in range(10):  # warm up, so that idle is not measured cold
        probe(server, 20_000 + i)
    variants = (("2 cpu, 3 x 3 MB (as filed)", as_filed), ("2 cpu, 3 x 200 x 2000 chars", accepted))
    for k, (name, messages) in enumerate(variants):
        # Idle sampled right before each attack (the machine's other load drifts over minutes), and
        # every probe a question never asked before in this run.
        idle = [probe(server, 100_000 * (k + 1) + i) for i in range(probes)]
        before = snapshot(server)
        during: list[float] = []
        prober = threading.Thread(target=probing, args=(server, time.monotonic() + seconds, during,
                                                        100_000 * (k + 1) + 50_000))
        prober.start()
        counts = hammer(3, seconds, chat(server, messages))
        prober.join()
        p50_idle, p50_during = statistics.median(idle), statistics.median(during)
        report(name, server, before, counts, seconds=seconds, ask_p50_ms_idle=round(p50_idle, 1),
               ask_p50_ms_during=round(p50_during, 1), asks_during=len(during), ratio=round(p50_during / p50_idle, 2))


def attack_feedback(server: Server, seconds: float) -> None:
    # The largest row both this and the previous release accept, so that runs compare.
    row = {"helpful": False, "conversation_id": "c" * 100, "question": "q" * 2000, "answer": "a" * 4000,
           "document_id": "d" * 200, "comment": "m" * 2000}
    stored_before = stored_feedback(server)
    before = snapshot(server)
    counts = hammer(8, seconds, lambda: call(server.url + "/feedback", row,
                                             {"X-Forwarded-For": f"10.0.{random.randint(0, 255)}.1"})[0])
    report("4 disk, /feedback", server, before, counts, seconds=seconds, rows_accepted=counts.get(201, 0),
           rows_stored_before=stored_before, rows_stored_after=stored_feedback(server))


def stored_feedback(server: Server) -> int:
    request = urllib.request.Request(server.url + "/feedback?limit=1000", headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return len(json.loads(r.read()))


def attack_identity(server: Server, seconds: float) -> None:
    before = snapshot(server)
    ask = {"question": "What did the mayor of Calais say?"}
    counts = hammer(2, seconds, lambda: call(server.url + "/ask", ask, {"Authorization": f"Bearer {token()}"})[0])
    report("3 made-up bearer tokens, QA_RATE_LIMIT=5/minute", server, before, counts, seconds=seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="length of attacks 1 and 2 (each variant)")
    parser.add_argument("--feedback-seconds", type=float, default=20, help="length of attacks 3 and 4")
    parser.add_argument("--probes", type=int, default=40, help="/ask calls sampled idle before attack 2")
    parser.add_argument("--data-dir", type=Path, help="keep the servers' data here (default: a temp folder)")
    parser.add_argument("--port", type=int, default=8140, help="first of two loopback ports (0: any free ones)")
    parser.add_argument("--embedder", help="QA_EMBEDDER for the servers (default: the server's own)")
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="serve from this checkout, e.g. an export of an older commit, to compare")
    parser.add_argument("--door", type=int, metavar="ATTACKERS",
                        help="run only issue 26's second round (bench/door.py): ATTACKERS slow connections "
                        "against QA_MAX_CONNECTIONS of half that, ingest beside readers, timed-out requests")
    args = parser.parse_args()
    env = {"embedder": args.embedder} if args.embedder else {}
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qa-abuse-"))
    if args.door:
        from bench import door  # it imports this module: loaded only when asked for

        try:
            door.run(lambda **more: Server(data_dir, args.port or free_port(), args.server_root, **env, **more),
                     args.seconds, args.door)
        finally:
            if args.data_dir is None:
                shutil.rmtree(data_dir, ignore_errors=True)
        return 0
    try:
        server = Server(data_dir, args.port or free_port(), args.server_root, **env)
        try:
            time.sleep(2)
            print(json.dumps({"idle_rss_mb": round(server.rss_mb())}), flush=True)
            attack_memory(server, args.seconds)
            attack_cpu(server, args.seconds, args.probes)
            attack_feedback(server, args.feedback_seconds)
        finally:
            server.stop()
        limited = Server(data_dir, args.port + 1 if args.port else free_port(), args.server_root,
                         rate_limit="5/minute", **env)
        try:
            attack_identity(limited, args.feedback_seconds)
        finally:
            limited.stop()
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
