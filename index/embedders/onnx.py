"""The same sentence-transformers model run by ONNX Runtime: no PyTorch at serving time.

The model is exported once (that step imports torch, in a child process: index/embedders/export.py) into
a cache folder and reused on every start. fp32 gives the PyTorch vectors (cosine 1.000) at a
fraction of the cost; `quantize=True` adds dynamic int8 weights, faster again but slightly
different vectors (cosine ~0.99).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders.base import Matrix, normalise, resolve_model_path
from index.embedders.export import temporary
from index.errors import EmbedderUnavailable
from index.files import atomic_write, exclusive, sha256_file

log = logging.getLogger("index.onnx")
# Padded tokens per encoder call (see `_batches`): a typical news sentence (~30 tokens) goes ~17 at a time.
TOKEN_BUDGET = 512


class OnnxEmbedder:
    def __init__(self, model: str, cache_dir: Path, threads: int = 0, quantize: bool = False,
                 name: str | None = None) -> None:
        from tokenizers import Tokenizer

        folder = Path(resolve_model_path(model))
        if not (folder / "tokenizer.json").exists():
            raise EmbedderUnavailable(f"model {model!r}: no local folder with tokenizer.json at {folder}")
        _require_mean_pooling(folder)
        # fp32 vectors equal the PyTorch ones. "int8pc": per-channel int8, whose vectors differ from
        # those of the per-tensor int8 that earlier versions stored as "+int8".
        self.name = f"{name or model}+int8pc" if quantize else name or model
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(_max_length(folder))
        self._tokenizer.no_padding()
        self._path = exported(folder, cache_dir, quantize)
        self._session = _session(self._path, threads)
        self.dim = int(self.encode(["dimension probe"]).shape[1])

    def with_threads(self, threads: int) -> OnnxEmbedder:
        """The same model and tokenizer on a session with another thread count (the vectors are
        the same): one thread for batches encoded while the rankers keep the other core busy."""
        twin = copy.copy(self)
        twin._session = _session(self._path, threads)
        return twin

    @property
    def weights_file(self) -> str:
        """Which exported weights encode (fp32 or int8): vectors made by one are not the other's."""
        return self._path.name

    def exact(self) -> OnnxEmbedder:
        """The full-precision twin of a quantised encoder (itself when not quantised). int8 weights
        quantise each call's activations with one scale for the whole batch, so a text's vector
        depends on what it was batched with; full precision gives a text the same vector whatever
        its company: for what must not change between processes or moments (word vectors)."""
        fp32 = self._path.with_name(self._path.name.replace(".int8pc.onnx", ".onnx"))
        if fp32 == self._path or not _intact(fp32):
            return self
        twin = copy.copy(self)
        twin._session, twin._path = _session(fp32, 1), fp32
        return twin

    def encode(self, texts: list[str], batch_size: int = 32) -> Matrix:
        # 32, not 64: larger batches pad more and leave the caches (docs/decisions.md).
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        if len(texts) == 1:  # a question: nothing to pad, sort or mask
            return self._one(texts[0])
        encodings = self._tokenizer.encode_batch(texts)
        # Similar lengths together: padding, and so wasted work, stays small when ingesting.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: list[Matrix] = [np.empty(0)] * len(texts)
        for batch in _batches(order, [len(e.ids) for e in encodings], batch_size):
            for i, row in zip(batch, self._run([encodings[i] for i in batch]), strict=True):
                out[i] = row
        return normalise(np.vstack(out))

    def _one(self, text: str) -> Matrix:
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                          "token_type_ids": np.zeros_like(ids)})[0]
        return normalise(hidden.mean(axis=1))

    def _run(self, encodings: list[Any]) -> Matrix:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled: Matrix = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled


def _batches(order: list[int], lengths: list[int], batch_size: int) -> list[list[int]]:
    """Consecutive runs of `order` (shortest first) of at most `batch_size` texts and TOKEN_BUDGET
    padded tokens. The runtime keeps the memory its largest batch took: 32 sentences of 256 tokens
    took the process from 140 to 1,015 MB resident, for good; 2 of them to 187 MB. Smaller batches
    of long sentences cost no more either (attention grows with the square of the length): 1,831
    archive sentences took 16.2 CPU-s at 512 tokens a batch, 23.8 with 32 sentences whatever their length."""
    batches: list[list[int]] = []
    for i in order:
        last = batches[-1] if batches else None
        if last is None or len(last) == batch_size or (len(last) + 1) * lengths[i] > TOKEN_BUDGET:
            batches.append([i])
        else:
            last.append(i)
    return batches


def _session(path: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def exported(folder: Path, cache_dir: Path, quantize: bool) -> Path:
    """The ONNX file for this model folder, exported (and quantised) on first use."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Worker processes starting together on a new folder would write the same temporary files
    # (the quantiser's too): one exports, the others wait for it and load the result.
    with exclusive(cache_dir / ".export.lock"):
        fp32, int8 = export_targets(folder, cache_dir)
        if quantize and _intact(int8):
            return int8  # the full-precision file is not read (nor its checksum worked out) at all
        fp32_ready = _intact(fp32)
        if fp32_ready and not quantize:
            return fp32
        _convert(folder, fp32, int8 if quantize else None, fp32_ready)
        if not fp32_ready:
            _record_checksum(fp32)
        if not quantize:
            return fp32
        _record_checksum(int8)
        return int8


def export_targets(folder: Path, cache_dir: Path) -> tuple[Path, Path]:
    """Where the fp32 and the int8 exports of this model folder live."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", str(folder.resolve())).strip("-")[-80:]
    return cache_dir / f"{slug}.onnx", cache_dir / f"{slug}.int8pc.onnx"


def _convert(folder: Path, fp32: Path, int8: Path | None, fp32_ready: bool) -> None:
    """Export and/or quantise in a child process (index/embedders/export.py): PyTorch and the converters'
    chatter stay out of the server. A failed attempt leaves no temporary file behind, so the next
    attempt starts clean."""
    targets = [fp32] + ([int8] if int8 else [])
    _remove_temporaries(targets)  # left by a run that was killed: we hold the lock, nobody writes them
    log_file = fp32.with_name("export.log")
    steps = ("quantising" if fp32_ready else "exporting and quantising" if int8 else "exporting")
    log.info("first start: %s the model for ONNX Runtime (once; later starts reuse it)", steps)
    started = time.monotonic()
    with log_file.open("wb") as out:
        done = subprocess.run([sys.executable, "-m", "index.embedders.export", str(folder), *map(str, targets)],
                              stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        _remove_temporaries(targets)
        tail = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise EmbedderUnavailable(f"exporting the model to ONNX failed (exit {done.returncode}): {tail[0]}; "
                                  f"full output in {log_file}")
    log.debug("model converted in %.1f s", time.monotonic() - started)


def _remove_temporaries(targets: list[Path]) -> None:
    for target in targets:
        temporary(target).unlink(missing_ok=True)


def _intact(path: Path) -> bool:
    """Whether an exported file is there and matches the checksum written after it. A damaged
    one is exported again (from the model's own weights), never loaded."""
    if not path.exists():
        return False
    recorded = path.with_name(path.name + ".sha256")
    if not recorded.exists():  # exported by a version that wrote no checksum: trust it once
        _record_checksum(path)
        return True
    if recorded.read_text().strip() == sha256_file(path):
        return True
    log.warning("%s does not match its checksum: exporting the model again", path)
    path.unlink()
    return False


def _record_checksum(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())  # the export itself is on disk before its checksum says so
    atomic_write(path.with_name(path.name + ".sha256"), sha256_file(path).encode())


def _require_mean_pooling(folder: Path) -> None:
    config = folder / "1_Pooling" / "config.json"
    if config.exists() and not json.loads(config.read_text()).get("pooling_mode_mean_tokens", False):
        raise EmbedderUnavailable(f"{folder}: only mean-pooling models run on the ONNX backend")


def _max_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.exists() else 256
