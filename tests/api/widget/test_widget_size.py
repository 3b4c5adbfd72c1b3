"""The widget stays small: one script, no framework, under 15 KB minified and gzipped."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_widget_is_under_its_size_goal() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.widget_size"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert "minified + gzipped" in out and "goal < 15 KB minified + gzipped: met" in out, out
