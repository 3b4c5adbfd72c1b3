"""Embedding every stored sentence again, when the store's vectors came from another model."""

from __future__ import annotations

import logging

from index.embedders.base import Embedder
from index.faiss.vectors import VectorIndex
from index.protocols import Storage

log = logging.getLogger("index.reembedding")


def reembed(store: Storage, embedder: Embedder, index: VectorIndex | None = None) -> None:
    """Vectors from another model are useless: embed every stored sentence again (into `index` too)."""
    if store.count_sentences():
        log.warning("re-embedding the stored sentences with %s", embedder.name)
    for sentence_ids, texts in store.iter_embed_texts():
        matrix = embedder.encode(texts)
        store.replace_vectors(sentence_ids, matrix)
        if index is not None:
            index.add(sentence_ids, matrix)
    store.set_meta("vector_model", embedder.name)
