"""A new user's first start: `qa serve` on an empty data folder (the model is exported and
quantised then), timed to the first 200 from /readyz, with the server's memory (RSS) once ready
and what it printed on the way.

    python -m bench.first_start                      # port 8000, a new temporary data folder
    python -m bench.first_start --port 8150 --restart   # also a second start on the same folder

Linux only (RSS from /proc). Prints one JSON line per start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import ROOT, ready


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time of the server and of the children it waited for (the export): unlike the time to
    ready, it hardly moves when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return round(ticks / os.sysconf("SC_CLK_TCK"), 1)



def start(data_dir: Path, port: int, timeout: float) -> dict[str, object]:
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_PORT": str(port)}
    log = data_dir.parent / f"serve-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            while not ready(f"http://127.0.0.1:{port}"):
                if proc.poll() is not None or time.monotonic() - started > timeout:
                    raise SystemExit(f"the server did not become ready; its output is in {log}")
                time.sleep(0.1)
            seconds = time.monotonic() - started
            time.sleep(1.0)  # let the loader thread finish what it does after readiness
            memory, cpu = rss_mb(proc.pid), cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    # Uvicorn's access lines for this script's own /readyz polling are not the server's to answer for.
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if line.strip() and '"GET /readyz' not in line]
    return {"seconds_to_ready": round(seconds, 1), "rss_mb_when_ready": memory, "cpu_seconds": cpu,
            "load_average": round(os.getloadavg()[0], 1), "output_lines": len(lines),
            "warnings": sum("WARNING" in line or "Warning" in line for line in lines), "log": str(log)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, help="an empty or missing folder (default: a new temporary one)")
    parser.add_argument("--restart", action="store_true", help="also measure a second start on the same folder")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qa-first-start-")) / "data"
    if data_dir.exists() and any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty: a first start needs an empty data folder")
    print(json.dumps({"start": "first", "data_dir": str(data_dir), **start(data_dir, args.port, args.timeout)}))
    if args.restart:
        print(json.dumps({"start": "second", **start(data_dir, args.port, args.timeout)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
