"""From a raw document to stored sentences: clean, segment, build the text each sentence is
indexed under, and read documents from files."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.types import NewDocument, NewSentence
from qa.errors import BadInput
from qa.ingest.cleaning import Cleaned, Format, clean_document
from qa.ingest.identifiers import validate_id
from qa.ingest.segmentation import Segmenter
from qa.ingest.suggestions import suggest
from qa.urls import check_url

# What a sentence is indexed under (and what is derived from a document: its suggested questions).
# Stored documents prepared under another recipe are prepared again when the service opens
# (qa.startup.prepare_again_if_recipe_changed), so the index never mixes two recipes.
# `bounded-sentences`: no sentence longer than qa.ingest.segmentation.MAX_SENTENCE, so a stored
# one-sentence page is cut up at the next start.
RECIPE = "lexical-title-v1+suggestions+bounded-sentences"
# What a document's metadata may be: it is sent back with the document and in every listing, and
# one nested past what the response encoder takes (about 255 levels) made both fail for everyone.
MAX_METADATA_DEPTH = 32  # the metadata object itself is level 1
MAX_METADATA_BYTES = 16 * 1024  # as compact UTF-8 JSON
SUFFIXES: dict[str, Format] = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html",
            ".htm": "html", ".json": "json"}


@dataclass(frozen=True)
class DocumentInput:
    text: str
    id: str | None = None
    title: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    format: str | None = "txt"  # None: sniffed from the text (qa.ingest.cleaning.sniff_format)


def check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata unchanged, or BadInput if it could not be served back as JSON: nested deeper
    than MAX_METADATA_DEPTH, larger than MAX_METADATA_BYTES, or holding what JSON cannot (NaN)."""
    depth = metadata_depth(metadata)
    if depth > MAX_METADATA_DEPTH:
        raise BadInput(f"metadata is nested {depth} or more levels deep; at most {MAX_METADATA_DEPTH} are accepted")
    try:
        size = len(json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
                   .encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError) as exc:
        raise BadInput(f"metadata must be plain JSON: {exc}") from exc
    if size > MAX_METADATA_BYTES:
        raise BadInput(f"metadata is {size:,} bytes as JSON; at most {MAX_METADATA_BYTES:,} are accepted")
    return metadata


def metadata_depth(value: Any) -> int:
    """How deeply objects and arrays nest in `value`, counted without recursion (so that no
    nesting makes it fail) and no further than one level past the limit."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_METADATA_DEPTH:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list | tuple) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def document_id_for(text: str) -> str:
    """Content-derived id: posting the same text twice without an id is one document."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare(doc: DocumentInput, segmenter: Segmenter) -> NewDocument:
    return prepare_cleaned(doc, clean_document(doc.text, doc.format, doc.title), segmenter)


def identity(doc: DocumentInput, cleaned: Cleaned) -> tuple[str, str]:
    """The id a document is stored under and the checksum of its content: known before the costly
    segmentation, so that a bulk ingest run again skips what it stored the first time."""
    document_id = validate_id(doc.id) if doc.id else document_id_for(cleaned.text)
    return document_id, hashlib.sha256(f"{cleaned.title}\n{cleaned.text}".encode()).hexdigest()


def prepare_cleaned(doc: DocumentInput, cleaned: Cleaned, segmenter: Segmenter) -> NewDocument:
    # What the page says about itself fills in what the caller left out; the caller's word wins.
    metadata = check_metadata({**cleaned.metadata, **doc.metadata})  # checked before the costly part
    url = check_url(doc.url) or cleaned.url
    spans = segmenter.split(cleaned.text)
    document_id, checksum = identity(doc, cleaned)
    # The title goes with every sentence into the lexical index (not into the returned text):
    # a sentence rarely repeats what its article is about ("They defeated the Arizona
    # Cardinals"), and a question usually names it. Not into the embedding: there it blurs the
    # sentences of one article together (docs/decisions.md has the measurements).
    title = cleaned.title
    sentences = [NewSentence(s.start, s.end, s.text, index_text=f"{s.text} {title}".strip(), embed_text=s.text)
                 for s in spans]
    return NewDocument(id=document_id, title=cleaned.title, text=cleaned.text, checksum=checksum,
                       sentences=sentences, url=url, metadata=metadata,
                       suggestions=suggest([s.text for s in spans]))


def read_file(path: Path) -> DocumentInput:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{path}: unsupported file type; expected one of {', '.join(sorted(SUFFIXES))}")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read as UTF-8 text: {exc}") from exc
    doc_id = re.sub(r"[^A-Za-z0-9._:-]", "-", path.stem).strip("-._:")[:200] or None
    return DocumentInput(text=raw, id=doc_id, format=fmt)


def find_files(paths: list[Path]) -> list[Path]:
    """Files given directly, and supported files inside given folders, in a stable order."""
    return survey(paths)[0]


def survey(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to read, and the ones inside given folders that will not be read, with why.
    A file named directly is always read (and refused with its reason if its type is unknown)."""
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for inner in sorted(p for p in path.rglob("*") if p.is_file()):
                reason = _skip_reason(inner.relative_to(path))
                if reason:
                    skipped.append((inner, reason))
                else:
                    found.append(inner)
        elif path.exists():
            found.append(path)
        else:
            raise BadInput(f"{path}: no such file or folder")
    return found, skipped


def _skip_reason(relative: Path) -> str | None:
    if any(part.startswith(".") for part in relative.parts):
        return "hidden"
    if relative.suffix.lower() not in SUFFIXES:
        kind = relative.suffix.lower() or "no extension"
        return f"unsupported file type ({kind}); expected one of {', '.join(sorted(SUFFIXES))}"
    return None
