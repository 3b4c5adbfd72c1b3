"""Sentence segmentation with pysbd, keeping exact character offsets into the stored text."""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any

import pysbd

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")


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


class Segmenter:
    def __init__(self, language: str = "en") -> None:
        _compile_once()
        # clean=False: pysbd must not rewrite the text, or offsets would drift.
        self._pysbd = pysbd.Segmenter(language=language, clean=False)

    def split(self, text: str) -> list[Span]:
        """Sentences in order; `text[s.start:s.end] == s.text` for every one. Paragraph breaks
        always end a sentence."""
        spans: list[Span] = []
        for para in _PARAGRAPH.finditer(text):
            spans.extend(self._split_paragraph(text, para.start(), para.end()))
        return spans

    def _split_paragraph(self, text: str, start: int, end: int) -> list[Span]:
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
