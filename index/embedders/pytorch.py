"""The sentence-transformers encoder (PyTorch), loaded from local files only."""

from __future__ import annotations

import numpy as np

from index.embedders.base import Matrix, resolve_model_path
from index.errors import EmbedderUnavailable


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model) loaded from local files only."""

    def __init__(self, model: str, threads: int = 0, name: str | None = None) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise EmbedderUnavailable(f"sentence-transformers is not installed: {exc}") from exc
        if threads > 0:
            torch.set_num_threads(threads)
        path = resolve_model_path(model)
        try:
            # local_files_only: never reach for a model hub at run time.
            self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderUnavailable(f"cannot load model {model!r} from local files: {exc}") from exc
        self.name = name or model
        getter = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(getter() or 0)

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
