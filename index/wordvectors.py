"""Word vectors kept beside the store, so that a restart reads the articles' word vectors rather
than embedding them again in every process. The file names the encoder that made them and carries
a SHA-256 of its contents: a damaged file, or one from another encoder, is ignored (the words are
then embedded again; nothing is lost). Written whole, to a temporary file first, then renamed."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from index.embedders.base import Embedder
from index.files import atomic_write, exclusive

log = logging.getLogger("index.wordvectors")
FORMAT = 1


def _digest(encoder: str, words: np.ndarray, vectors: np.ndarray) -> str:
    h = hashlib.sha256(f"{FORMAT}\n{encoder}\n".encode())
    h.update("\n".join(words.tolist()).encode("utf-8", "surrogatepass"))
    h.update(np.ascontiguousarray(vectors).tobytes())
    return h.hexdigest()


def made_by(encoder: Embedder) -> str:
    """What names an encoder's vectors: its model, and which of its exported weights (fp32 or int8)."""
    return f"{encoder.name}|{getattr(encoder, 'weights_file', type(encoder).__name__)}"


class WordVectorFile:
    """The word vectors of one encoder (`encoder`: see `made_by`) in the file at `path`."""

    def __init__(self, path: Path, encoder: str) -> None:
        self.path, self.encoder = path, encoder

    def load(self) -> dict[str, np.ndarray]:
        """The vectors this encoder saved; none when the file is missing, damaged or another's."""
        encoder = self.encoder
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                words, vectors = saved["words"], saved["vectors"]
                saved_by, digest = str(saved["encoder"]), str(saved["digest"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # zip: a CRC or a cut
            log.warning("word vectors in %s not read (%s): embedded again", self.path.name, exc)
            return {}
        if saved_by != encoder:
            return {}  # an encoder change: its words are embedded again, as the sentences are
        if digest != _digest(encoder, words, vectors) or len(words) != len(vectors):
            log.warning("word vectors in %s fail their checksum: embedded again", self.path.name)
            return {}
        return dict(zip(words.tolist(), vectors, strict=True))

    def save(self, vectors: Mapping[str, np.ndarray]) -> None:
        encoder = self.encoder
        words = np.array(list(vectors), dtype=np.str_)
        matrix = np.stack(list(vectors.values())) if vectors else np.zeros((0, 0), dtype=np.float16)
        buffer = io.BytesIO()
        np.savez(buffer, words=words, vectors=matrix, encoder=np.array(encoder),
                 digest=np.array(_digest(encoder, words, matrix)))
        # Several processes may keep their words at once (workers after a start): one at a time, as
        # they would otherwise write the same temporary file.
        with exclusive(self.path.with_name(self.path.name + ".lock")):
            atomic_write(self.path, buffer.getvalue())
