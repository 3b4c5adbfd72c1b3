"""The encoder a setting names, with the reader adapter added if one is given."""

from __future__ import annotations

from pathlib import Path

from index.embedders.base import Embedder, FakeEmbedder, resolve_model_path
from index.embedders.pytorch import SentenceTransformerEmbedder


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
