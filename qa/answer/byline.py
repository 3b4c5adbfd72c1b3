""""Who wrote this?" and "when was this published?", answered from what the page said about
itself (its byline and publication date, kept in the document's metadata at ingestion), not from
a sentence of the article: an article rarely names its own author or date in its text.

Only for a question asked about one article (a `document_id`), and only when the metadata holds
the answer; otherwise the question goes through the usual search and may be abstained on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from index.protocols import Storage
from qa.answer.passages import Passage

NOTE = "according to the page's metadata (not a sentence of the article)"
_THIS = r"(?:this|it|(?:this|the) (?:article|story|piece|report|post|page|text))"
_AUTHOR = [re.compile(p) for p in (
    rf"who (?:wrote|authored|penned|filed|reported) {_THIS}",
    rf"who(?: is| was|'s) the (?:author|writer|reporter|journalist)(?: of {_THIS})?",
    rf"who(?: is| was|'s) {_THIS} (?:written )?by",
    rf"(?:what is |what's )?the (?:author|byline)(?: of {_THIS})?",
    rf"by whom (?:is|was) {_THIS} written",
)]
_PUBLISHED = [re.compile(p) for p in (
    rf"when (?:was|is) {_THIS} (?:published|written|posted|released|put online|dated)",
    rf"when did {_THIS} (?:come out|appear|go online)",
    rf"(?:what is |what's )?the (?:publication|publishing|published) date(?: of {_THIS})?",
    rf"(?:what|which) (?:date|day) (?:was|is) {_THIS} (?:published|written|posted|from)",
    rf"how old is {_THIS}",
)]


@dataclass(frozen=True)
class MetadataPassage(Passage):
    """An answer that quotes no sentence: `start == end == 0` and `sentence_index == -1`."""
    source: str = "metadata"


def asks_for(question: str) -> str | None:
    """"author", "published" or None: which of the page's own facts the question asks for."""
    flat = " ".join(question.lower().replace("’", "'").split()).rstrip("?!. ")
    if any(p.fullmatch(flat) for p in _AUTHOR):
        return "author"
    if any(p.fullmatch(flat) for p in _PUBLISHED):
        return "published"
    return None


def answer(question: str, document_id: str | None, store: Storage) -> MetadataPassage | None:
    kind = asks_for(question) if document_id is not None else None
    if kind is None or document_id is None:
        return None
    doc = store.get_document(document_id)
    value = doc.metadata.get(kind)
    if not isinstance(value, str) or not value.strip():
        return None
    shown = value.strip() if kind == "author" else _date(value.strip())
    lead = "Written by " if kind == "author" else "Published on "
    return MetadataPassage(text=f"{lead}{shown}, {NOTE}.", score=1.0, document_id=doc.id, document_title=doc.title,
                           sentence_index=-1, start=0, end=0, context="",
                           highlight=(len(lead), len(lead) + len(shown)))


def _date(value: str) -> str:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value  # as the page wrote it
    day = f"{when.day} {when:%B %Y}"
    return day if len(value) <= 10 else f"{day}, {when:%H:%M}" + (f" {when:%Z}".rstrip() if when.tzinfo else "")
