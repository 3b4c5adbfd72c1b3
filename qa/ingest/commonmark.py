"""Markdown to plain text blocks with markdown-it-py (CommonMark): every paragraph, list item and
block-quote paragraph becomes a block of its own, so a sentence never runs from one into the next.

Headings are structure, not text: the first level-1 heading is the title, and subheadings ("Power
cuts", "One death") are left out of the blocks. Indexed as sentences, a two-word subheading matched
a question's words better than the paragraph under it that answers it."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from qa.errors import BadInput

_BREAKS = {"softbreak", "hardbreak"}
# What plain text does not produce when read as CommonMark: an ATX heading (`#`), a bullet list,
# a code fence, a link or image, bold. Not ordered lists ("1990. The year ...") nor emphasis
# ("*sigh*"), which a plain-text article writes too.
_MARKDOWN_BLOCKS = {"bullet_list_open", "fence"}
_MARKDOWN_INLINE = {"link_open", "image", "strong_open"}


@dataclass(frozen=True)
class Markdown:
    blocks: list[str]  # without headings, unless the document is nothing but headings
    title: str | None  # the first level-1 heading


def read_markdown(raw: str) -> Markdown:
    tokens = MarkdownIt("commonmark").parse(raw)
    blocks: list[str] = []
    headings: list[str] = []
    title: str | None = None
    for i, token in enumerate(tokens):
        text = _block_text(token)
        if not any(ch.isalnum() for ch in text):  # markup left over ("--- *"), nothing to read
            continue
        opener = tokens[i - 1] if i else None
        if opener is not None and opener.type == "heading_open":
            if title is None and opener.tag == "h1":
                title = text
            headings.append(text)
            continue
        blocks.append(text)
    if not blocks and not headings:
        raise BadInput("the Markdown document has no readable text, only markup")
    # A document of headings only ("# Storm hits coast"): they are all the text there is.
    return Markdown(blocks or headings, title)


def looks_like_markdown(raw: str) -> bool:
    for token in MarkdownIt("commonmark").parse(raw):
        if token.type in _MARKDOWN_BLOCKS or (token.type == "heading_open" and token.markup.startswith("#")):
            return True
        if token.type == "inline" and any(c.type in _MARKDOWN_INLINE for c in token.children or []):
            return True
    return False


def _block_text(token: Token) -> str:
    if token.type == "inline":
        return " ".join(_inline_text(token.children or []).split())
    if token.type in ("fence", "code_block"):
        return " ".join(token.content.split())
    if token.type == "html_block":
        return _html_text(token.content)
    return ""


def _inline_text(children: list[Token]) -> str:
    # Links keep their words; images, raw HTML tags and emphasis marks are dropped.
    parts = [" " if c.type in _BREAKS else c.content for c in children if c.type in ("text", "code_inline", *_BREAKS)]
    return "".join(parts)


def _html_text(fragment: str) -> str:
    import lxml.html
    from lxml.etree import ParserError

    try:
        element = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return ""
    for unwanted in element.xpath(".//script|.//style|.//template"):
        unwanted.drop_tree()
    return " ".join(element.text_content().split())
