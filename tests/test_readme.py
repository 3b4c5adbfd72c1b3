"""The README's settings table lists every setting, and nothing that is not one."""

import re

from qa.settings import Settings
from tests.conftest import ROOT


def test_settings_table_matches_the_settings_object() -> None:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(QA_[A-Z_]+)`", table))
    actual = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert documented == actual
