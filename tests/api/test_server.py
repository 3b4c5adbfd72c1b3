"""End to end: `qa serve` with the real model in a subprocess, driven by the README's curl examples
and by the project's evaluation harness (bench/evaluate.py); then a restart that must keep everything."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import free_port, start_serve

pytestmark = pytest.mark.model
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"


class Server:
    """`qa serve` in a subprocess on a data folder of its own; stopped and started again at will."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {"QA_DATA_DIR": str(data_dir), "QA_ADMIN_KEY": "readme-key", "QA_PORT": str(self.port)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_serve(self.env, self.url, self.log)

    def stop(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("served"))
    srv.start()
    yield srv
    srv.stop()


def readme_curls() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## HTTP API\n\n```bash\n(.*?)```", text, re.S)
    assert block, "README has an HTTP API bash block"
    joined = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("curl")]


def test_readme_curl_examples_work(server: Server) -> None:
    commands = readme_curls()
    assert len(commands) >= 3
    outputs = []
    for cmd in commands:
        cmd = cmd.replace("http://127.0.0.1:8000", server.url)
        out = subprocess.run(cmd, shell=True, env={**os.environ, **server.env}, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        outputs.append(json.loads(out.stdout))
    assert "we will not be sending police to Calais" in outputs[0]["answer"]["text"]
    assert outputs[1] == {"id": "harbour-2026", "sentences": 2}
    assert {d["id"] for d in outputs[2]} >= {"harbour-2026"}


def test_evaluation_harness_on_seed_questions(server: Server) -> None:
    out = subprocess.run([sys.executable, "-m", "bench.evaluate", "--url", server.url, "--questions",
                          str(SEED_QUESTIONS)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert metrics["p_at_1"] >= 0.9 and metrics["abstain_accuracy"] == 1.0 and metrics["followup_accuracy"] == 1.0


def test_first_start_is_quiet_and_leaves_no_pytorch_behind(server: Server) -> None:
    # The module's server started on an empty data folder: it exported and quantised the model.
    assert server.proc is not None
    assert list((server.data_dir / "models").glob("*.int8pc.onnx"))
    lines = [line for line in server.log.read_text().splitlines() if "GET /readyz" not in line]
    assert not [line for line in lines if "Warning" in line or '"WARNING"' in line or "Quantization" in line]
    assert any("first start: exporting and quantising the model" in line for line in lines)
    maps = Path(f"/proc/{server.proc.pid}/maps").read_text()
    assert "libtorch" not in maps  # the export ran in a child process, which has ended


def test_restart_keeps_documents(server: Server) -> None:
    body = json.dumps({"id": "restart-doc", "text": "The ferry returns on Friday."}).encode()
    req = urllib.request.Request(server.url + "/documents", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer readme-key"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status in (200, 201)
    server.stop()
    server.start()
    with urllib.request.urlopen(server.url + "/documents/restart-doc", timeout=10) as r:
        assert json.loads(r.read())["text"] == "The ferry returns on Friday."


def test_readme_openai_example_runs(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(from openai import OpenAI.*?)```", text, re.S)
    assert block, "README has the openai client example"
    code = block.group(1).replace("http://127.0.0.1:8000", server.url)
    exec(compile(code, "README.md", "exec"), {})
    assert "we will not be sending police to Calais" in capsys.readouterr().out
