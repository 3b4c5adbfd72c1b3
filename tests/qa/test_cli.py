import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from qa.cli import main
from tests.conftest import NEUTRAL, ROOT, SEED_ID, SEEDS


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_SEEDS_DIR", str(SEEDS))
    monkeypatch.setenv("QA_EMBEDDER", "fake")
    monkeypatch.setenv("QA_ANSWERABILITY_MODEL", str(NEUTRAL))


def test_help_shows_examples() -> None:
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "examples:" in out.stdout and "qa ask" in out.stdout


def test_ingest_documents_and_ask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Harbour\n\nThe harbour opened in 1990.")
    (tmp_path / "docs" / "b.html").write_text("<h1>Mill</h1><p>The mill closed in 1870.</p>")
    assert main(["ingest", str(tmp_path / "docs")]) == 0
    out = capsys.readouterr().out
    assert "2 added" in out
    # Each file's id, for the page's data-document-id.
    assert f"a <- {tmp_path / 'docs' / 'a.md'}  http://127.0.0.1:8000/preview/a" in out
    assert f"b <- {tmp_path / 'docs' / 'b.html'}  http://127.0.0.1:8000/preview/b" in out
    assert main(["ingest", str(tmp_path / "docs")]) == 0
    out = capsys.readouterr().out
    assert "2 unchanged" in out and f"a <- {tmp_path / 'docs' / 'a.md'} (unchanged)" in out
    assert main(["documents", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in listed} == {SEED_ID, "a", "b"}
    assert {d["preview"] for d in listed} >= {"http://127.0.0.1:8000/preview/a"}
    assert main(["documents"]) == 0
    assert "a\t1\tHarbour\thttp://127.0.0.1:8000/preview/a" in capsys.readouterr().out
    assert main(["ask", "When did the mill close?", "--document", "b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"]["text"] == "The mill closed in 1870."


def test_errors_are_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "missing.txt")]) == 2
    assert main(["ask", "hello", "--document", "nope"]) == 2
    assert "error" in capsys.readouterr().err


def test_ingest_says_which_files_it_skipped_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    (docs / "world" / "europe").mkdir(parents=True)
    (docs / "a.txt").write_text("The harbour opened in 1990.")
    (docs / "report.pdf").write_bytes(b"%PDF-1.4 binary")
    (docs / "notes").write_text("no extension")
    (docs / ".hidden.txt").write_text("A hidden file.")
    (docs / "world" / "europe" / "empty.md").write_text("--- *")
    (docs / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert main(["ingest", str(docs)]) == 1  # two supported files could not be read
    out, err = capsys.readouterr()
    assert "1 added, 0 unchanged, 0 replaced, 5 skipped" in out
    assert f"skipped {docs / 'report.pdf'}: unsupported file type (.pdf)" in err
    assert f"skipped {docs / 'notes'}: unsupported file type (no extension)" in err
    assert f"skipped {docs / '.hidden.txt'}: hidden" in err
    assert f"skipped {docs / 'world' / 'europe' / 'empty.md'}: the Markdown document has no readable text" in err
    assert f"skipped {docs / 'latin1.txt'}: cannot read as UTF-8" in err


@pytest.mark.slow  # the CLI in a subprocess
def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "ask", "what did Brokenshire say?", "--json",
                             "--top-k", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` having exited before the answer is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_ingest_jsonl_resumes_and_names_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive.jsonl"
    good = [{"id": f"n{i}", "title": f"News {i}", "text": f"Story {i} happened. It was news."} for i in range(3)]
    archive.write_text("\n".join([json.dumps(good[0]), json.dumps(good[1])]) + "\n")
    assert main(["ingest", str(archive)]) == 0
    assert "2 added" in capsys.readouterr().out
    archive.write_text("\n".join([*(json.dumps(g) for g in good), '{"id": "broken"']) + "\n")
    assert main(["ingest", str(archive), "--batch-sentences", "1"]) == 1  # the bad line: status 1, others stored
    out, err = capsys.readouterr()
    assert "1 added, 2 unchanged, 0 replaced, 1 skipped" in out
    assert f"skipped {archive}:4: not a JSON object" in err
    assert main(["documents", "--json"]) == 0
    assert {d["id"] for d in json.loads(capsys.readouterr().out)} >= {"n0", "n1", "n2"}


def test_ingest_reads_jsonl_from_stdin(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps({"id": f"s{i}", "text": f"Piped story {i}."}) for i in range(2))
    done = subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "-"], input=lines, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout
    assert main(["ingest", "-", "-"]) == 2  # stdin once


def test_ingest_while_a_server_runs_is_seen_by_it_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What the README promises: `qa ingest` into the data folder of a running server needs no restart.
    from index.embedders.base import FakeEmbedder
    from qa.service import QAService
    from qa.settings import Settings

    running = QAService.open(Settings(), FakeEmbedder())
    try:
        (tmp_path / "ferry.txt").write_text("The ferry returns on Friday after repairs.")
        assert main(["ingest", str(tmp_path / "ferry.txt")]) == 0
        assert "ferry <- " in capsys.readouterr().out
        assert running.get("ferry").title
        answer = running.ask("When does the ferry return?", "ferry").answer
        assert answer is not None and answer.text == "The ferry returns on Friday after repairs."
    finally:
        running.close()


def test_mcp_help_shows_examples() -> None:
    out = subprocess.run([sys.executable, "-m", "qa.cli", "mcp", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "examples" in out.stdout and "qa mcp" in out.stdout


@pytest.mark.slow  # the CLI in a subprocess
def test_mcp_serves_the_tools_to_an_agent_over_stdio(tmp_path: Path) -> None:
    # As an agent's host starts it: the SDK's own stdio client, which passes only the variables it is given.
    env = {name: os.environ[name] for name in ("QA_DATA_DIR", "QA_SEEDS_DIR", "QA_EMBEDDER", "QA_ANSWERABILITY_MODEL")}
    server = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp"], cwd=ROOT,
                                   env={**env, "PYTHONPATH": str(ROOT)})

    async def scenario() -> None:
        async with Client(server) as agent:
            assert {t.name for t in (await agent.list_tools()).tools} >= {"ask", "list_articles"}
            answer = await agent.call_tool("ask", {"question": "what did Brokenshire say?"})
            assert not answer.is_error and answer.structured_content is not None
            assert answer.structured_content["answer"]["document_id"] == SEED_ID
            missing = await agent.call_tool("get_sentences", {"document_id": "nope"})
            assert missing.is_error and "not_found" in missing.content[0].text  # type: ignore[union-attr]
    anyio.run(scenario)


def test_insights_prints_what_readers_asked(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = subprocess.run([sys.executable, "-m", "qa.cli", "insights", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "qa insights --document" in out.stdout and "--since DAYS" in out.stdout
    for name, value in {"QA_INSIGHTS": "true", "QA_MIN_CONFIDENCE": "1", "QA_CLOSEST_CONFIDENCE": "1"}.items():
        monkeypatch.setenv(name, value)  # nothing is answered: the question is one readers went without
    assert main(["ask", "How old is the mayor?", "--document", SEED_ID]) == 0
    capsys.readouterr()
    assert main(["insights", "--document", SEED_ID, "--since", "7"]) == 0
    text = capsys.readouterr().out
    assert "the last 7 days" in text and "1 question: answered 0%, closest passage 0%, no answer 100%" in text
    assert "1x  How old is the mayor?  (not in the article 1)" in text and f"[{SEED_ID}]" in text
    assert main(["insights", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recording"] is True and report["articles"][0]["unanswered"][0]["count"] == 1
    assert main(["insights", "--since", "0"]) == 2
