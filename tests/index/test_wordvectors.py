"""Word vectors kept for the next start: read back exactly, and never trusted when damaged or
made by another encoder."""

import logging
from pathlib import Path

import numpy as np
import pytest

from index.wordvectors import WordVectorFile

VECTORS = {"bridge": np.array([0.5, -0.25, 1.0], dtype=np.float16), "café": np.array([0, 1, 0], dtype=np.float16)}


def test_saved_vectors_come_back_exactly(tmp_path: Path) -> None:
    words = WordVectorFile(tmp_path / "words.npz", "enc")
    assert words.load() == {}  # nothing kept yet
    words.save(VECTORS)
    loaded = words.load()
    assert list(loaded) == list(VECTORS)
    assert all(loaded[w].dtype == np.float16 and np.array_equal(loaded[w], VECTORS[w]) for w in VECTORS)
    assert not list(tmp_path.glob(".*tmp"))  # written through a temporary file, renamed


def test_another_encoders_vectors_are_not_used(tmp_path: Path) -> None:
    WordVectorFile(tmp_path / "words.npz", "enc").save(VECTORS)
    assert WordVectorFile(tmp_path / "words.npz", "enc+int8pc").load() == {}


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_file_is_ignored_and_said(tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "words.npz"
    WordVectorFile(path, "enc").save(VECTORS)
    data = bytearray(path.read_bytes())
    if damage == "flip":  # a bit of a vector: the file still opens, its checksum fails
        at = data.index(np.array([0.5, -0.25, 1.0], dtype=np.float16).tobytes())
        data[at] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not a numpy file")
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="index.wordvectors"):
        assert WordVectorFile(path, "enc").load() == {}
    assert "embedded again" in caplog.text
