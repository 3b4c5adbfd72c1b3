"""Turn raw documents (.txt, .md, .html, .json) into clean article text and a title.

Cleaning drops what a reader would not call the article: markup, exact repeated headlines and
paragraphs, and site boilerplate lines ("This website is best viewed using ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from qa.errors import BadInput

FORMATS = ("txt", "md", "html", "json")

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
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(^#{1,6}\s+|^\s*>\s?|\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|`)", re.MULTILINE)


@dataclass(frozen=True)
class Cleaned:
    title: str
    text: str


def clean_document(raw: str, fmt: str = "txt", title: str | None = None) -> Cleaned:
    if fmt not in FORMATS:
        raise BadInput(f"unsupported format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return _from_json(raw, title)
    found_title: str | None = None
    if fmt == "html":
        raw, found_title = html_to_text(raw)
    elif fmt == "md":
        raw = _MD_MARK.sub("", _MD_LINK.sub(r"\1", raw))
    return clean_text(raw, title or found_title)


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
    return clean_text(data["text"], title or data.get("title") or None)


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "form"}
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "section", "article", "h1", "h2", "h3", "h4", "h5",
             "h6", "blockquote", "pre", "table", "tr", "header", "main", "aside", "figcaption", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self._skip = 0
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" or (tag == "h1" and not self.h1):
            self._in = tag
        if tag in self.SKIP and tag != "head":
            self._skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None
        if tag in self.SKIP and tag != "head" and self._skip:
            self._skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
            return
        if self._in == "h1":
            self.h1 += data
        if not self._skip:
            self.parts.append(data)


def html_to_text(raw: str) -> tuple[str, str | None]:
    """Visible text of an HTML page with block elements as paragraphs, and its title."""
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    title = (parser.h1 or parser.title).strip() or None
    return "".join(parser.parts), title
