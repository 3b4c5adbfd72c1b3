"""What the benchmark scripts share: where the project and the evaluation sets are, and reading a
JSON-lines file. The scripts run as modules from the project root (`python -m bench.quality`), so
they import the project and each other without editing `sys.path`."""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The evaluation sets live beside the project, not in it; every script takes its paths as options.
SHARED = ROOT.parent / "shared" / "eval"


def load(path: Path) -> list[dict[str, Any]]:
    """One JSON object per non-empty line."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ready(url: str) -> bool:
    """Whether the server at `url` answers /readyz with 200 (False while it is still starting)."""
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
