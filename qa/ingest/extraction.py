"""The article on a saved news page, and what the page says about itself.

trafilatura finds the main content (it drops navigation, share buttons, captions, related links,
comments, paywall prompts and ads) and reads the page's metadata: title (`og:title`, `<title>`,
`h1`), canonical URL (`link rel=canonical`, `og:url`), byline and publication date (meta tags,
JSON-LD). It was chosen over readability-lxml and jusText by measurement on the saved pages under
tests/data/pages (bench/extractors.py; docs/ingestion.md has the table).
"""

from __future__ import annotations

import re
from configparser import ConfigParser
from dataclasses import dataclass
from typing import Any

from qa.errors import BadInput
from qa.urls import web_url_or_none

_LIST_MARK = re.compile(r"^[-*•]\s+")
_WHOLE_PAGE = re.compile(r"<(html|body)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    text: str  # the article's blocks (paragraphs, headings, list items), separated by blank lines
    title: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date
    site: str | None = None


def _config() -> ConfigParser:
    # Built per page (a small file read) rather than kept in a module-level object.
    from trafilatura.settings import use_config

    config = use_config()
    # A short article is still an article: below 250 characters trafilatura would otherwise fall
    # back to a "baseline" pass that glues the whole page, navigation included, into one line.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    # Only dates the page states about itself: a date guessed from the story's text would answer
    # "when was this published?" wrongly.
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    # Its timeout uses SIGALRM, which only the main thread may set; requests run in worker threads.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def read_page(html: str) -> Page:
    """The article's text and the page's own metadata. Raises BadInput when no article is found."""
    import trafilatura

    if not _WHOLE_PAGE.search(html):
        # A fragment (no <html>, no <body>) was cut from its page already: all of it is the
        # article. Unwrapped, trafilatura weighs it as a whole page and drops its lists.
        html = f"<html><body><article>{html}</article></body></html>"
    try:
        found: Any = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_images=False, include_tables=True,
            config=_config())
    except Exception as exc:  # a parser failure on hostile markup is the page's fault, not a server error
        raise BadInput(f"the HTML page could not be parsed: {type(exc).__name__}") from exc
    text = getattr(found, "text", None) or ""
    blocks = [_LIST_MARK.sub("", line).strip() for line in text.splitlines()]
    body = "\n\n".join(b for b in blocks if any(ch.isalnum() for ch in b))  # not a lone "|" or "•"
    if not body:
        raise BadInput("no article text found in the HTML page")
    return Page(text=body, title=_field(found, "title"), url=web_url_or_none(_field(found, "url")),
                author=_author(_field(found, "author")), published=_field(found, "date"),
                site=_field(found, "sitename"))


def _field(found: Any, name: str) -> str | None:
    value = getattr(found, name, None)
    return value.strip() or None if isinstance(value, str) else None


def _author(value: str | None) -> str | None:
    # trafilatura joins several authors with "; "
    return ", ".join(a.strip() for a in value.split(";") if a.strip()) if value else None
