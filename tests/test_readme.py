"""The README's Quick start tells a new user what they ask first: another port, another origin."""

import re

from qa.settings import Settings
from tests.conftest import ROOT


def test_quick_start_shows_how_to_change_the_port_and_allow_an_origin() -> None:
    text = (ROOT / "README.md").read_text()
    quick = re.search(r"## Quick start\n(.*?)\n## ", text, re.S)
    assert quick is not None
    assert "QA_PORT=8080 make run" in quick.group(1) and "QA_CORS_ORIGINS=https://" in quick.group(1)
    assert {"port", "cors_origins"} <= set(Settings.model_fields)  # the names it gives are real settings
