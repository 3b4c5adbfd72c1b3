"""Turn raw documents (.txt, .md, .html, .json) into clean article text, a title and what the
document says about itself (canonical URL, byline, publication date).

Cleaning drops what a reader would not call the article: markup, the page around the article
(qa/ingest/extraction.py), exact repeated headlines and paragraphs, and site boilerplate lines ("This
website is best viewed using ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from qa.errors import BadInput
from qa.ingest.commonmark import looks_like_markdown, read_markdown
from qa.ingest.extraction import read_page
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


# A page or fragment opens with its doctype or an element; text that merely mentions "<p>" does not.
_HTML_START = re.compile(r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|article|main|section|div|p|h[1-6]|"
                         r"header|meta|title|table|ul|ol|figure|span|a)\b", re.IGNORECASE | re.DOTALL)
_HTML_CLOSE = re.compile(r"</(?:p|div|h[1-6]|article|section|li|body|html|span|a)\s*>", re.IGNORECASE)


# A byline paragraph near the top ("By Jane Doe", "*By Jane Doe and Ali Khan | 3 March*"): who wrote
# the article, not a sentence of it. Names are capitalised words (with the particles of names); what
# follows a separator (a role, a date) is short and not a sentence ("By Monday, the quay reopens." is one).
_NAME_WORD = r"(?:[^\W\d_a-z][\w.'\u2019-]*|de|da|van|von|der|den|la|le|bin|al|and|&)"
_BYLINE = re.compile(
    rf"(?i:(?:words |written |reporting |story )?by)\s+(?P<name>[^\W\d_a-z][\w.'\u2019-]*(?:\s+{_NAME_WORD})*?)"
    r"\s*(?:(?:[,|\u00b7\u2022\u2014\u2013]|\s-\s)(?P<rest>.{0,80}))?")
_BYLINE_SEARCH = 3  # paragraphs from the top


@dataclass(frozen=True)
class Cleaned:
    title: str
    text: str
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # author, published (ISO 8601), site


def sniff_format(raw: str) -> Format:
    """The format of a document sent without one: a JSON object with a "text", an HTML page or
    fragment, Markdown (headings, links, lists, bold or code fences as CommonMark reads them),
    else plain text. Sent as plain text, an HTML page would lose nothing but its markup's words
    and be refused as empty; Markdown would keep its `#` and `**` as words."""
    stripped = raw.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{") and _is_json_document(stripped):
        return "json"
    if _HTML_START.match(stripped):
        return "html"
    if looks_like_markdown(stripped):
        return "md"
    # Markup that does not open the text, but closes several elements: HTML all the same.
    return "html" if len(_HTML_CLOSE.findall(stripped)) >= 2 else "txt"


def _is_json_document(raw: str) -> bool:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and isinstance(data.get("text"), str)


def clean_document(raw: str, fmt: str | None = "txt", title: str | None = None) -> Cleaned:
    """`fmt` None: the format is sniffed from the text (`sniff_format`)."""
    if len(raw) > MAX_DOCUMENT_CHARS:
        raise BadInput(f"the document is {len(raw):,} characters long; at most {MAX_DOCUMENT_CHARS:,} are accepted")
    if fmt is None:
        fmt = sniff_format(raw)
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
    # What the page's metadata says wins over a byline line read from its text.
    return Cleaned(cleaned.title, cleaned.text, page.url, {**cleaned.metadata, **{k: v for k, v in found.items() if v}})


def clean_text(raw: str, title: str | None = None) -> Cleaned:
    paragraphs, author = _without_byline(_paragraphs(_CONTROL.sub("", raw)))
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
    return Cleaned(title=title or _fallback_title(text), text=text, metadata={"author": author} if author else {})


def byline_author(paragraph: str) -> str | None:
    """The name(s) of a byline paragraph ("By Jane Doe, Transport correspondent" -> "Jane Doe"),
    or None when the paragraph is not one."""
    if len(paragraph) > 120 or paragraph.endswith((".", "?", "!", ":", ";")):  # a sentence, not a byline
        return None
    found = _BYLINE.fullmatch(paragraph.strip())
    if found is None or found.group("name").split()[-1] in ("and", "&"):
        return None
    return found.group("name")


def _without_byline(paragraphs: list[str]) -> tuple[list[str], str | None]:
    """The paragraphs without a byline near the top, and the author it names. A byline that is all
    there is stays: it is the text."""
    for i, paragraph in enumerate(paragraphs[:_BYLINE_SEARCH]):
        author = byline_author(paragraph)
        if author is not None and len(paragraphs) > 1:
            return paragraphs[:i] + paragraphs[i + 1:], author
    return paragraphs, None


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
    return Cleaned(cleaned.title, cleaned.text, check_url(_string(data, "url")), {**cleaned.metadata, **metadata})


def _string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() or None if isinstance(value, str) else None
