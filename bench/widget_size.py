"""How many bytes the widget costs a reader's page: the source file, minified (rjsmin: comments and
white space out, nothing renamed), and minified + gzipped / + brotli: what GET /widget.js sends a
browser that takes gzip or br, byte for byte. Goal: under 15 KB minified + gzipped.

    .venv/bin/python -m bench.widget_size
"""

from __future__ import annotations

from pathlib import Path

from api.widget import WIDGET, widget_asset

GOAL = 15 * 1024


def sizes(path: Path) -> dict[str, int]:
    asset = widget_asset(path)
    return {"source file": path.stat().st_size, "minified": len(asset.plain),
            "minified + gzipped": len(asset.encoded["gzip"]), "minified + brotli": len(asset.encoded["br"])}


def main() -> None:
    found = sizes(WIDGET)
    for name, size in found.items():
        print(f"{name:>20}: {size:6d} bytes ({size / 1024:.1f} KB)")
    verdict = "met" if found["minified + gzipped"] < GOAL else "NOT met"
    print(f"goal < {GOAL // 1024} KB minified + gzipped: {verdict}")


if __name__ == "__main__":
    main()
