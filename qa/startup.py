"""Opening the service's parts from the settings, and the one-time jobs of a start: indexing stored
documents again after the ingest recipe changed, and ingesting the seed articles once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from index.backend import open_backend, stored_model
from index.embedders.base import Embedder
from index.embedders.batching import BatchingEmbedder
from index.embedders.loader import load_embedder
from index.embedders.onnx import OnnxEmbedder
from index.protocols import Backend
from index.types import BackendConfig
from qa.errors import BadInput, StorageFull
from qa.ingest.ingestion import RECIPE, DocumentInput, find_files, read_file
from qa.settings import Settings

log = logging.getLogger("qa.startup")
# Trained by `qa train-encoder` (qa/learn/adaptation.py) on readers' questions; its card is encoder.json.
ADAPTER_FILE = Path(__file__).with_name("encoder.npz")


def backend_config(settings: Settings) -> BackendConfig:
    url = settings.database_url.get_secret_value() if settings.database_url is not None else None
    return BackendConfig(data_dir=settings.data_dir, database_url=url, ann_threshold=settings.ann_threshold,
                         ann_nprobe=settings.ann_nprobe, min_free_bytes=settings.min_free_bytes,
                         shared_conversations=settings.workers > 1)


def open_parts(settings: Settings, embedder: Embedder | None) -> tuple[Embedder, Backend]:
    """The embedder (loaded unless given) and the backend its vectors belong to."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if embedder is None:
        embedder = load_embedder(encoder_kind(settings), settings.model, settings.threads,
                                 settings.data_dir / "models", adapter_path(settings))
        if settings.encoder_batching:
            embedder = _batching(embedder, settings.threads)
    return embedder, open_backend(backend_config(settings), embedder)


def encoder_kind(settings: Settings) -> str:
    """The backend `auto` stands for: int8 (the encoder about twice as fast; squad_dev P@1 0.684
    against 0.688), unless the store holds the full-precision model's vectors, which are kept
    rather than embedded again at start-up."""
    if settings.embedder != "auto":
        return settings.embedder
    plain = adapter_path(settings) is None
    return "onnx" if plain and stored_model(backend_config(settings)) == settings.model else "onnx-int8"


def adapter_path(settings: Settings) -> Path | None:
    """The encoder adapter the settings name (None: the plain model)."""
    chosen = settings.encoder_adapter.strip()
    if chosen.lower() in ("", "none"):
        return None
    return ADAPTER_FILE if chosen == "readers" else Path(chosen)


def _batching(embedder: Embedder, threads: int) -> BatchingEmbedder:
    """Micro-batching, with a one-thread twin of an ONNX encoder for when others are answered meanwhile."""
    one_core = embedder.with_threads(1) if isinstance(embedder, OnnxEmbedder) and threads != 1 else None
    return BatchingEmbedder(embedder, shared=one_core)


class Put(Protocol):
    """How a start stores a document: `QAService.put` (passed in, so this module needs no service)."""

    def __call__(self, doc: DocumentInput, replace_existing: bool = True, refresh: bool = False) -> object: ...


def prepare_again_if_recipe_changed(backend: Backend, put: Put) -> str | None:
    """Documents stored by an earlier version were indexed under other texts: prepare them
    again from their stored text, once, so old and new ones rank alike. One at a time (a
    large store's texts never sit in memory together); vectors are reused where the embedded
    text is unchanged. Under the write lock: of several processes starting together, one does it.
    Returns what it could not do, if anything."""
    with backend.writing():
        if backend.get_meta("ingest_recipe") == RECIPE:
            return None
        ids = backend.document_ids()
        if ids:
            log.warning("indexing %d stored documents again (ingest recipe %s)", len(ids), RECIPE)
        for document_id in ids:
            doc = backend.get_document(document_id)
            try:
                put(DocumentInput(text=doc.text, id=doc.id, title=doc.title, url=doc.url, metadata=doc.metadata),
                    refresh=True)
            except BadInput as exc:  # keeps its old indexing rather than keep the service down
                log.warning("document %r kept as indexed before: %s", document_id, exc)
            except StorageFull as exc:  # the same: reads never wait for disk space
                problem = f"stored documents are indexed as before the upgrade: {exc}; tried again at the next start"
                log.warning("%s", problem)
                return problem
        backend.set_meta("ingest_recipe", RECIPE)
    return None


def seed_once(backend: Backend, seeds: Path, put: Put) -> str | None:
    """Ingest the seed articles on the first start. Reads do not depend on them: on a disk too
    small to take them the service starts without them (said in the log and /readyz) and tries
    again at the next start. Returns what it could not do, if anything."""
    with backend.writing():
        if backend.get_meta("seeded") or not seeds.is_dir():
            return None
        try:
            for path in find_files([seeds]):
                put(read_file(path), replace_existing=False)
                log.info("ingested seed %s", path.name)
            backend.set_meta("seeded", "1")
        except StorageFull as exc:
            problem = f"the seed articles were not stored: {exc}; serving without them, tried again at the next start"
            log.warning("%s", problem)
            return problem
    return None
