"""Sentence segmentation with pysbd, keeping exact character offsets into the stored text."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pysbd
from pysbd.lists_item_replacer import ListItemReplacer

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")
# The most pysbd reads at once: longer than any ordinary sentence with the context around its end,
# short enough that its quadratic rules stay cheap (a numbered list, the worst text found, costs
# about 35 µs a character at 1,200; 85 µs at 2,000).
WINDOW = 1200
# The longest sentence kept whole: a longer run (a page of one sentence, a table flattened into a
# line) is cut into pieces of at most this, so that no passage an answer carries, and no text
# embedded as one sentence, is larger (a one-sentence 100 kB page made every /ask return 400 kB).
MAX_SENTENCE = 1000


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


class _CompiledOnce:
    """The `re` module as pysbd's modules see it, with every pattern compiled once. pysbd builds a
    pattern per abbreviation it finds (hundreds, with its other rules), far more than `re`'s own
    cache of 512 holds: it compiled them again for every paragraph, more than half its time."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def sub(pattern: str | re.Pattern[str], repl: Any, string: str, count: int = 0, flags: int = 0) -> str:
        return _compiled(pattern, flags).sub(repl, string, count)

    @staticmethod
    def findall(pattern: str | re.Pattern[str], string: str, flags: int = 0) -> list[Any]:
        return _compiled(pattern, flags).findall(string)

    @staticmethod
    def finditer(pattern: str | re.Pattern[str], string: str, flags: int = 0) -> Any:
        return _compiled(pattern, flags).finditer(string)

    @staticmethod
    def search(pattern: str | re.Pattern[str], string: str, flags: int = 0) -> re.Match[str] | None:
        return _compiled(pattern, flags).search(string)

    @staticmethod
    def match(pattern: str | re.Pattern[str], string: str, flags: int = 0) -> re.Match[str] | None:
        return _compiled(pattern, flags).match(string)

    @staticmethod
    def split(pattern: str | re.Pattern[str], string: str, maxsplit: int = 0, flags: int = 0) -> list[Any]:
        return _compiled(pattern, flags).split(string, maxsplit)


@functools.lru_cache(maxsize=8192)  # bounded: patterns built from matched text vary with its case
def _compiled(pattern: str | re.Pattern[str], flags: int) -> re.Pattern[str]:
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)


def _compile_once() -> None:
    """Point pysbd's modules at `_CompiledOnce`: same patterns, same results, compiled once."""
    shared = _CompiledOnce()
    for name, module in list(sys.modules.items()):
        if name.startswith("pysbd") and getattr(module, "re", None) is re:
            module.re = shared  # type: ignore[attr-defined]
    if not hasattr(ListItemReplacer.substitute_found_list_items, "__wrapped__"):
        ListItemReplacer.substitute_found_list_items = _substitute_once(
            ListItemReplacer.substitute_found_list_items)


def _substitute_once(substitute: Callable[..., None]) -> Callable[..., None]:
    """pysbd marks a numbered list's items by rewriting the whole text once per item, the same
    number again and again ("1. a 2. b 1. c 2. d"): the most costly text there is. A rewrite marks
    "N." as "N♨" (or "N)" as "N☝)"), which no later rewrite of that number matches again and no
    rewrite of another creates, so a number rewritten once in a text is skipped after: same result."""
    @functools.wraps(substitute)
    def once(self: ListItemReplacer, regex: str, each: int, strip: bool, replacement: str) -> None:
        done: set[tuple[str, int, bool, str]] = self.__dict__.setdefault("_qa_rewritten", set())
        if (regex, each, strip, replacement) not in done:
            done.add((regex, each, strip, replacement))
            substitute(self, regex, each, strip, replacement)
    return once


class Segmenter:
    def __init__(self, language: str = "en") -> None:
        _compile_once()
        # clean=False: pysbd must not rewrite the text, or offsets would drift.
        self._pysbd = pysbd.Segmenter(language=language, clean=False)

    def split(self, text: str) -> list[Span]:
        """Sentences in order, none longer than MAX_SENTENCE; `text[s.start:s.end] == s.text` for
        every one. Paragraph breaks always end a sentence."""
        spans: list[Span] = []
        for para in _PARAGRAPH.finditer(text):
            for span in self._split_paragraph(text, para.start(), para.end()):
                spans.extend(_bounded(text, span))
        return spans

    def _split_paragraph(self, text: str, start: int, end: int) -> list[Span]:
        """A paragraph read through a window of at most WINDOW characters. pysbd's work grows with
        the square of what it is given (its list and abbreviation rules rewrite the whole text once
        per item they find: a 100 kB line took 20 s), so it never sees more than a window; the
        last sentence of a window that stops short of the paragraph's end may have been cut by the
        window, so it is left for the head of the next one, where it is read whole."""
        spans: list[Span] = []
        cursor = start
        while cursor < end:
            stop = end if end - cursor <= WINDOW else _cut(text, cursor + WINDOW // 2, cursor + WINDOW)
            pieces = self._sentences(text, cursor, stop)
            # A window's only sentence is kept as it is, cut at the window's last space: a run that
            # long with no end pysbd can see is cut into pieces anyway.
            if stop < end and len(pieces) > 1:
                pieces.pop()
            spans.extend(pieces)
            cursor = pieces[-1].end if pieces else stop
        return spans

    def _sentences(self, text: str, start: int, end: int) -> list[Span]:
        spans: list[Span] = []
        cursor = start
        # The processor's sentences, not `segment()`'s: that one finds each sentence in the text again
        # with a regular expression built from it (compiled per sentence, a third of the time
        # left); the offsets are found below by plain search.
        for piece in self._pysbd.processor(text[start:end]).process():
            piece = piece.strip()
            if not piece:
                continue
            found = text.find(piece, cursor, end)
            if found < 0:  # pysbd changed the text after all: keep the rest as one sentence
                break
            spans.append(Span(found, found + len(piece), piece))
            cursor = found + len(piece)
        rest = text[cursor:end]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            tail = rest.strip()
            spans.append(Span(cursor + lead, cursor + lead + len(tail), tail))
        return spans


def _bounded(text: str, span: Span) -> list[Span]:
    """The span, or pieces of it of at most MAX_SENTENCE characters, cut where a reader would pause."""
    pieces: list[Span] = []
    start, end = span.start, span.end
    while end - start > MAX_SENTENCE:
        cut = _cut(text, start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        piece = text[start:cut].rstrip()
        pieces.append(Span(start, start + len(piece), piece))
        start = cut + len(text[cut:end]) - len(text[cut:end].lstrip())
    pieces.append(Span(start, end, text[start:end]))
    return pieces


_PAUSE = frozenset(".;:,!?)]\u2014\u2013")  # a clause ends there: the best place to cut a run


def _cut(text: str, low: int, high: int) -> int:
    """Where a run that must stop by `high` stops, no earlier than `low`: after a space that
    follows a pause (`; ` `, `), else after the last space, so that no word is cut in two; at `high`
    when there is no space (then never between a letter and its combining accent)."""
    last_space = None
    for at in range(high - 1, low - 1, -1):
        if text[at].isspace():
            if at > low and text[at - 1] in _PAUSE:
                return at + 1
            last_space = at + 1 if last_space is None else last_space
    if last_space is not None:
        return last_space
    cut = high
    while cut > low + 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut
