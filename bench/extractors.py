"""Main-content extractors compared on the saved news pages under tests/data/pages/.

    pip install -e '.[compare]'     # readability-lxml and justext, for the comparison only
    python -m bench.extractors

For every page and extractor: how many of the article's sentences were kept (of all), and how
many clutter lines (navigation, share buttons, captions, comments, paywall prompts...) came
through as well. The expected sentences and clutter lines are in tests/data/pages/expected.json.
`qa` (the last rows) is what the service stores: the chosen extractor plus its own cleaning.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from bench._common import ROOT
from qa.ingest.cleaning import clean_document

PAGES = ROOT / "tests" / "data" / "pages"
Extractor = Callable[[str], str]


def trafilatura_default(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_images=False) or ""


def trafilatura_precision(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_images=False, favor_precision=True) or ""


def trafilatura_recall(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_images=False, favor_recall=True) or ""


def readability(html: str) -> str:
    import lxml.html
    from readability import Document

    summary = lxml.html.fromstring(Document(html).summary(html_partial=True))
    return "\n".join(block.text_content().strip() for block in summary.iter("p", "h1", "h2", "h3", "li", "div")
                     if block.text_content().strip())


def justext_paragraphs(html: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode(), justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def justext_short_paragraphs(html: str) -> str:
    import justext

    # Its defaults call a paragraph "good" from 200 characters up; news paragraphs are often one
    # sentence, so this variant lowers the bounds to 30 and 100 characters.
    paragraphs = justext.justext(html.encode(), justext.get_stoplist("English"), length_low=30, length_high=100)
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def service(html: str) -> str:
    return clean_document(html, "html").text


EXTRACTORS: dict[str, Extractor] = {
    "trafilatura": trafilatura_default, "trafilatura precision": trafilatura_precision,
    "trafilatura recall": trafilatura_recall, "readability-lxml": readability, "justext": justext_paragraphs,
    "justext 30/100": justext_short_paragraphs, "qa (stored text)": service,
}


def flat(text: str) -> str:
    return " ".join(text.split())


def score(text: str, expected: dict[str, list[str]]) -> tuple[int, int, list[str], list[str]]:
    body = flat(text)
    missing = [s for s in expected["article"] if flat(s) not in body]
    clutter = [c for c in expected["clutter"] if c in body]
    return len(expected["article"]) - len(missing), len(clutter), missing, clutter


def main() -> int:
    expected = json.loads((PAGES / "expected.json").read_text())
    totals: dict[str, list[int]] = {}
    print(f"{'page':<15} {'extractor':<22} {'article kept':>12} {'clutter kept':>12}")
    for page, wanted in expected.items():
        html = (PAGES / page).read_text()
        for name, extract in EXTRACTORS.items():
            try:
                kept, clutter, _, found = score(extract(html), wanted)
            except ImportError:
                continue  # a comparison library that is not installed
            total = totals.setdefault(name, [0, 0, 0, 0])
            total[0] += kept
            total[1] += len(wanted["article"])
            total[2] += clutter
            total[3] += len(wanted["clutter"])
            shown = f" ({', '.join(found)})" if found else ""
            print(f"{page:<15} {name:<22} {kept:>5} of {len(wanted['article']):<4} {clutter:>5} of "
                  f"{len(wanted['clutter']):<4}{shown}")
    print()
    for name, (kept, article, clutter, lines) in totals.items():
        print(f"{'all pages':<15} {name:<22} {kept:>5} of {article:<4} {clutter:>5} of {lines:<4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
