"""Sentence segmentation with pysbd, keeping exact character offsets into the stored text."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pysbd

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


class Segmenter:
    def __init__(self, language: str = "en") -> None:
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
        for piece in self._pysbd.segment(text[start:end]):
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
