"""Low-rank adapters for the sentence encoder: the encoder as shipped, plus a small learned change.

An adapter holds, for each adapted weight matrix W of the base model, two thin matrices A (r x in)
and B (out x r), and for each adapted bias or norm vector v a full delta: the adapted model is
W + scale * B @ A and v + delta. A few hundred thousand numbers, a file of a few MB, instead of a
second 90 MB model in the repository. The card beside it (`<name>.json`) carries the file's
SHA-256: an adapter that does not match it is refused before anything is built from it.

At start-up the adapter is added to the base weights once (NumPy only, no PyTorch) into a folder
named by its checksum in the model cache; the encoders (ONNX or PyTorch) load that folder as they
would load the base model.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import EmbedderUnavailable
from index.files import atomic_write, exclusive, fsync_dir, sha256_file

WEIGHTS = "model.safetensors"
# The files of a sentence-transformers folder that the adapted copy shares with its base.
_KEPT = ("config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json",
         "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt")


@dataclass(frozen=True)
class Adapter:
    low_rank: dict[str, tuple[np.ndarray, np.ndarray]]  # weight name -> (A, B)
    deltas: dict[str, np.ndarray]  # bias or norm name -> delta
    scale: float
    sha256: str = ""

    def apply(self, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The base weights with this adapter added (a new dict; the base is not changed)."""
        out = dict(weights)
        for name, (a, b) in self.low_rank.items():
            out[name] = _checked(weights, name, (b.shape[0], a.shape[1])) + self.scale * (b @ a)
        for name, delta in self.deltas.items():
            out[name] = _checked(weights, name, delta.shape) + delta
        return {k: np.ascontiguousarray(v, dtype=weights[k].dtype) for k, v in out.items()}

    def arrays(self) -> dict[str, np.ndarray]:
        """As saved: `A:<name>`, `B:<name>`, `D:<name>`, and the scale."""
        out = {"scale": np.array(self.scale, dtype=np.float32)}
        for name, (a, b) in self.low_rank.items():
            out[f"A:{name}"], out[f"B:{name}"] = a.astype(np.float32), b.astype(np.float32)
        out.update({f"D:{name}": d.astype(np.float32) for name, d in self.deltas.items()})
        return out

    @classmethod
    def of_arrays(cls, arrays: dict[str, np.ndarray], sha256: str = "") -> Adapter:
        low = {k[2:]: (arrays[k], arrays[f"B:{k[2:]}"]) for k in arrays if k.startswith("A:")}
        deltas = {k[2:]: arrays[k] for k in arrays if k.startswith("D:")}
        return cls(low, deltas, float(arrays["scale"]), sha256)


def _checked(weights: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    base = weights.get(name)
    if base is None or base.shape != shape:
        raise EmbedderUnavailable(f"the encoder adapter does not fit this model ({name})")
    return base


def card_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save(adapter: Adapter, path: Path, card: dict[str, object]) -> str:
    """Write the adapter and its card (with the adapter file's SHA-256), each crash-safely."""
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **adapter.arrays())  # type: ignore[arg-type]
    atomic_write(path, buffer.getvalue())
    digest = sha256_file(path)
    atomic_write(card_path(path), (json.dumps({**card, "sha256": digest}, indent=1, sort_keys=True) + "\n").encode())
    return digest


def verified(path: Path) -> str:
    """The adapter file's SHA-256, refusing a file that does not match the checksum on its card."""
    try:
        card = json.loads(card_path(path).read_text("utf-8"))
        digest = sha256_file(path)
    except (OSError, ValueError) as exc:
        raise EmbedderUnavailable(f"cannot read the encoder adapter {path}: {exc}") from exc
    if not isinstance(card, dict) or card.get("sha256") != digest:
        raise EmbedderUnavailable(f"the encoder adapter {path} does not match the checksum on its card")
    return digest


def load(path: Path) -> Adapter:
    """Read an adapter, refusing one that does not match the checksum on its card."""
    digest = verified(path)
    with np.load(path) as arrays:
        return Adapter.of_arrays({k: arrays[k] for k in arrays.files}, digest)


def adapted_folder(base: Path, adapter_path: Path, cache_dir: Path) -> Path:
    """A model folder holding `base` with the adapter added, built once per adapter (by checksum)."""
    from safetensors.numpy import load_file, save_file

    # Verified on every start; the arrays are read only when the folder is to be built.
    target = cache_dir / f"adapted-{verified(adapter_path)[:16]}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(cache_dir / ".adapter.lock"):
        if (target / WEIGHTS).exists():
            return target
        adapter = load(adapter_path)
        staging = cache_dir / f".{target.name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in _KEPT:
            if (base / name).exists():
                shutil.copyfile(base / name, staging / name)
        if (base / "1_Pooling").is_dir():
            shutil.copytree(base / "1_Pooling", staging / "1_Pooling")
        save_file(adapter.apply(load_file(str(base / WEIGHTS))), str(staging / WEIGHTS))
        staging.replace(target)  # only a complete folder ever carries the real name
        fsync_dir(cache_dir)
    return target


def fingerprint(path: Path) -> str:
    """A short name for the adapter, part of the encoder's name (and so of the stored vectors')."""
    return verified(path)[:12]
