"""The README: its settings table lists every setting and nothing else; Quick start shows port and origin."""

import re

from qa.settings import Settings, settings_table
from tests.conftest import ROOT


def test_settings_table_matches_the_settings_object() -> None:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(QA_[A-Z_]+)`", table, re.M))
    actual = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert documented == actual


def test_the_settings_table_is_the_one_the_settings_describe() -> None:
    # Regenerate with `python -m qa.settings` after changing a setting or its description.
    assert settings_table() in (ROOT / "README.md").read_text()


def test_the_readme_stays_a_users_entry_point() -> None:
    # 170 until issue 25 gave agents (MCP) their section; the rest was tightened to make room.
    assert len((ROOT / "README.md").read_text().splitlines()) <= 180


def test_quick_start_shows_how_to_change_the_port_and_allow_an_origin() -> None:
    text = (ROOT / "README.md").read_text()
    quick = re.search(r"## Quick start\n(.*?)\n## ", text, re.S)
    assert quick is not None
    assert "QA_PORT=8080 make run" in quick.group(1) and "QA_CORS_ORIGINS=https://" in quick.group(1)
    assert {"port", "cors_origins"} <= set(Settings.model_fields)  # the names it gives are real settings


def test_what_a_new_user_asked_is_answered() -> None:
    # Issue 24: the batch body, how long `make test` takes, whether `qa ingest` beside a running server is safe.
    text = " ".join((ROOT / "README.md").read_text().split())
    assert '`POST /ask/batch` takes `{"questions": [{"question", "document_id"?, "top_k"?}, ...]}`' in text
    assert re.search(r"make test .*\d+-\d+ minutes", text)
    assert "`qa ingest` while the server runs is safe" in text
    assert '"format": "txt"' in text and "/preview/ID" in text and "ready: http://127.0.0.1:8000" in text
