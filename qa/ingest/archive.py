"""Where a bulk ingest's documents come from: JSONL (one document a line, with the API's document
fields), files, and folders of files. Each is read lazily, one document at a time, so that an
archive of any size streams through in bounded memory; a line or file that cannot be read becomes
an entry that names it and says why, and the rest go on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.ingest.bulk import Entry
from qa.ingest.cleaning import FORMATS
from qa.ingest.ingestion import DocumentInput, read_file
from qa.urls import check_url

FIELDS = {"id", "title", "text", "url", "metadata", "format"}
ARCHIVE_SUFFIXES = (".jsonl", ".ndjson")


def from_jsonl(lines: Iterable[str | bytes], origin: str) -> Iterator[Entry]:
    """One entry per non-blank line; `origin` (a file name, or "stdin") names a line that fails."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Entry(number, f"{origin}:{number}", error=f"not UTF-8 text: {exc}")
                continue
        if line.strip():
            yield _entry(line, number, origin)


def _entry(line: str, number: int, origin: str) -> Entry:
    name = f"{origin}:{number}"
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return Entry(number, name, error=f"not a JSON object: {exc}")
    try:
        document = as_document(record)
    except QAError as exc:
        return Entry(number, name, error=str(exc))
    return Entry(number, f"{name} ({document.id})" if document.id else name, document)


def as_document(record: Any) -> DocumentInput:
    """A JSON object with the API's document fields (`text` required), checked as the API checks it."""
    if not isinstance(record, dict):
        raise QAError("expected a JSON object with a `text` field")
    unknown = sorted(set(record) - FIELDS)
    if unknown:
        raise QAError(f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(FIELDS))}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise QAError("`text` must be a non-empty string")
    for key in ("id", "title", "url"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise QAError(f"`{key}` must be a string")
    url = check_url(record.get("url"))
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise QAError("`metadata` must be an object")
    fmt = record.get("format") or None  # left out: sniffed from the text, as over HTTP
    if fmt is not None and fmt not in FORMATS:
        raise QAError(f"`format` must be one of {', '.join(FORMATS)}")
    return DocumentInput(text=text, id=record.get("id") or None, title=record.get("title"), url=url,
                         metadata=metadata, format=fmt)


def from_files(files: Iterable[Path]) -> Iterator[Entry]:
    """Each file as one document, except a .jsonl/.ndjson archive, read line by line."""
    for number, path in enumerate(files, start=1):
        if path.suffix.lower() in ARCHIVE_SUFFIXES:
            with path.open("rb") as lines:
                yield from from_jsonl(lines, str(path))
            continue
        try:
            yield Entry(number, str(path), read_file(path))
        except QAError as exc:
            yield Entry(number, str(path), error=str(exc).removeprefix(f"{path}: "))
