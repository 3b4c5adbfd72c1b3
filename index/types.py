"""The data that crosses the storage seam, whichever backend holds it: what is put (`NewDocument`)
and what is read back (`DocumentInfo`, `StoredDocument`, `StoredSentence`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NewSentence:
    start: int
    end: int
    text: str
    index_text: str  # what the lexical index sees
    embed_text: str  # what the embedder sees


@dataclass(frozen=True)
class NewDocument:
    id: str
    title: str
    text: str
    checksum: str
    sentences: list[NewSentence]
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)  # questions the article answers, for readers
    # (created_at, updated_at) to keep, for a copy into another backend; None = now.
    stamps: tuple[float, float] | None = None


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document without its text: what a listing needs (a newsroom's thousands of
    articles are listed without reading them)."""
    id: str
    title: str
    url: str | None
    metadata: dict[str, Any]
    checksum: str
    created_at: float
    updated_at: float
    sentence_count: int
    suggestions: list[str]


@dataclass(frozen=True)
class StoredDocument(DocumentInfo):
    text: str


@dataclass(frozen=True)
class StoredSentence:
    id: int
    document_id: str
    position: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class BackendConfig:
    """Where and how a backend keeps its data (the service's settings, as the index layer needs them)."""

    data_dir: Path
    database_url: str | None = None  # postgresql://...; None = SQLite and FAISS in `data_dir`
    ann_threshold: int = 100_000  # see `index.faiss.vectors.Approximation`
    ann_nprobe: int = 64
    min_free_bytes: int = 0  # free disk a write must leave in `data_dir` (SQLite only)
    shared_conversations: bool = False  # conversations in the database, for several serving processes

    @property
    def database_path(self) -> Path:
        return self.data_dir / "qa.sqlite3"
