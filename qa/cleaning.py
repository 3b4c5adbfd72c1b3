"""Turn raw documents (.txt, .md, .html, .json) into clean article text, a title and what the
document says about itself (canonical URL, byline, publication date).

Cleaning drops what a reader would not call the article: markup, the page around the article
(qa/extraction.py), exact repeated headlines and paragraphs, and site boilerplate lines ("This
website is best viewed using ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from qa.commonmark import read_markdown
from qa.errors import BadInput
from qa.extraction import read_page
from qa.urls import check_url

# The one list of document formats: the API's schema and the file reader take theirs from here.
Format = Literal["txt", "md", "html", "json"]
FORMATS: tuple[str, ...] = get_args(Format)
# The budget of one document, whatever its format (about 350,000 words, a long book): the work of
# cleaning and splitting grows with it, about 3 s of a core for ordinary text and up to 80 s for
# the costliest (a numbered list of one-word items). Stated in the API's schema too.
MAX_DOCUMENT_CHARS = 2_000_000

BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^this (web)?site is best viewed\b",
        r"^best viewed (in|with|using)\b",
        r"\b(we|this (web)?site) uses? cookies\b",
        r"^(all rights reserved|copyright ©|©\s?\d{4})",
        r"^(sign up|subscribe) (for|to) our newsletter",
        r"^(click here|read more|advertisement|share this( article)?|follow us on)\b\W*$",
        r"^(please )?enable javascript",
    )
]
# Control characters are never article text, and PostgreSQL cannot store NUL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u200b]+")
# What a JSON document may say about itself besides its text, kept as metadata.
_JSON_METADATA = {"author": "author", "byline": "author", "published": "published", "date": "published",
                  "published_at": "published", "site": "site"}


@dataclass(frozen=True)
class Cleaned:
    title: str
    text: str
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # author, published (ISO 8601), site


def clean_document(raw: str, fmt: str = "txt", title: str | None = None) -> Cleaned:
    if len(raw) > MAX_DOCUMENT_CHARS:
        raise BadInput(f"the document is {len(raw):,} characters long; at most {MAX_DOCUMENT_CHARS:,} are accepted")
    if fmt not in FORMATS:
        raise BadInput(f"unsupported format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return _from_json(raw, title)
    if fmt == "html":
        return _from_html(raw, title)
    if fmt == "md":
        markdown = read_markdown(_CONTROL.sub("", raw))
        return clean_text("\n\n".join(markdown.blocks), title or markdown.title)
    return clean_text(raw, title)


def _from_html(raw: str, title: str | None) -> Cleaned:
    page = read_page(_CONTROL.sub("", raw))
    cleaned = clean_text(page.text, title or page.title)
    found = {"author": page.author, "published": page.published, "site": page.site}
    return Cleaned(cleaned.title, cleaned.text, page.url, {k: v for k, v in found.items() if v})


def clean_text(raw: str, title: str | None = None) -> Cleaned:
    paragraphs = _paragraphs(_CONTROL.sub("", raw))
    if title is None and paragraphs and _looks_like_headline(paragraphs[0]):
        title = paragraphs[0]
    title = _SPACES.sub(" ", _CONTROL.sub("", title or "")).strip()
    # A headline repeated as the body's first paragraph(s) is page furniture, not content,
    # unless it is all there is.
    while len(paragraphs) > 1 and title and paragraphs[0] == title:
        paragraphs.pop(0)
    text = "\n\n".join(paragraphs)
    if not text.strip():
        raise BadInput("the document has no text left after cleaning")
    return Cleaned(title=title or _fallback_title(text), text=text)


def _paragraphs(raw: str) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for block in _BLANKS.split(raw.replace("\r\n", "\n").replace("\r", "\n")):
        # Single line breaks inside a paragraph are wrapping, not structure.
        para = _SPACES.sub(" ", " ".join(line.strip() for line in block.split("\n"))).strip()
        if not para or para in seen or any(p.search(para) for p in BOILERPLATE):
            continue
        seen.add(para)
        kept.append(para)
    return kept


def _looks_like_headline(paragraph: str) -> bool:
    return len(paragraph) <= 200 and not paragraph.rstrip().endswith((".", "?", "!", ":", '"', "”"))


def _fallback_title(text: str) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "..."


def _from_json(raw: str, title: str | None) -> Cleaned:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadInput(f"invalid JSON document: {exc}") from exc
    except RecursionError as exc:  # thousands of nested brackets: the parser's stack, not a 500
        raise BadInput("invalid JSON document: nested too deeply") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise BadInput('a JSON document must be an object with a "text" string')
    cleaned = clean_text(data["text"], title or _string(data, "title"))
    metadata = {name: value for key, name in _JSON_METADATA.items() if (value := _string(data, key))}
    # The client's own word for the url, as much as the API's `url` field: refused, not dropped.
    return Cleaned(cleaned.title, cleaned.text, check_url(_string(data, "url")), metadata)


def _string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() or None if isinstance(value, str) else None
