"""How many bytes the widget costs a reader's page: plain, gzipped (what GET /widget.js sends a browser
that accepts gzip: the same level-9 gzip, byte for byte), minified (rjsmin: comments
and white space out, nothing renamed) and minified + gzipped. Goal: under 15 KB minified + gzipped.

    .venv/bin/python -m bench.widget_size
"""

from __future__ import annotations

import gzip
from pathlib import Path

import rjsmin

WIDGET = Path(__file__).resolve().parent.parent / "api" / "static" / "widget.js"
GOAL = 15 * 1024


def sizes(source: str) -> dict[str, int]:
    minified = rjsmin.jsmin(source)
    return {"as served": len(source.encode()), "gzipped": len(gzip.compress(source.encode(), 9)),
            "minified": len(minified.encode()), "minified + gzipped": len(gzip.compress(minified.encode(), 9))}


def main() -> None:
    found = sizes(WIDGET.read_text(encoding="utf-8"))
    for name, size in found.items():
        print(f"{name:>20}: {size:6d} bytes ({size / 1024:.1f} KB)")
    verdict = "met" if found["minified + gzipped"] < GOAL else "NOT met"
    print(f"goal < {GOAL // 1024} KB minified + gzipped: {verdict}")


if __name__ == "__main__":
    main()
