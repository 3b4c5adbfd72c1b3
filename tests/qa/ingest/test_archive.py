import json
from pathlib import Path

from qa.ingest.archive import from_files, from_jsonl


def test_jsonl_lines_become_documents_or_named_errors() -> None:
    first_line = json.dumps({"id": "a", "title": "A", "text": "One.", "url": "https://x.org/a", "metadata": {"k": 1}})
    lines: list[str | bytes] = [first_line,
             "", "{not json", json.dumps({"text": ""}), json.dumps({"text": "x", "body": "y"}),
             json.dumps(["text"]), json.dumps({"text": "x", "url": "javascript:alert(1)"}),
             json.dumps({"text": "x", "format": "pdf"}), json.dumps({"text": "x", "id": 7}),
             b"\xff\xfe", json.dumps({"text": "<p>Two.</p>", "format": "html"}).encode()]
    got = list(from_jsonl(lines, "in.jsonl"))
    assert [e.position for e in got] == [1, 3, 4, 5, 6, 7, 8, 9, 10, 11]  # blank lines are no documents
    first = got[0].document
    assert first is not None and (first.id, first.title, first.url, first.metadata) == ("a", "A", "https://x.org/a",
                                                                                          {"k": 1})
    assert got[0].name == "in.jsonl:1 (a)"
    errors = [e.error or "" for e in got[1:-1]]
    assert all(errors) and got[1].name == "in.jsonl:3"
    for message, expected in zip(errors, ["not a JSON object", "`text`", "unknown field(s) body", "JSON object",
                                          "`url`", "`format`", "`id`", "not UTF-8"], strict=True):
        assert expected in message
    assert got[-1].document is not None and got[-1].document.format == "html"


def test_files_and_archives_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A story.")
    (tmp_path / "b.jsonl").write_text('{"id": "b1", "text": "B one."}\n{"id": "b2", "text": "B two."}\n')
    (tmp_path / "c.txt").write_bytes(b"\xff")
    got = list(from_files([tmp_path / "a.txt", tmp_path / "b.jsonl", tmp_path / "c.txt"]))
    assert [e.document.id if e.document else None for e in got] == ["a", "b1", "b2", None]
    assert got[-1].name == str(tmp_path / "c.txt") and "UTF-8" in (got[-1].error or "")
