"""Encoder adapters: added to the base weights exactly, built once per adapter, refused when damaged."""

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from index.embedders.adapter import WEIGHTS, Adapter, adapted_folder, fingerprint, load, save
from index.errors import EmbedderUnavailable

NAME = "encoder.layer.0.attention.self.query.weight"
BIAS = "encoder.layer.0.attention.self.query.bias"


def base_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    (folder / "1_Pooling").mkdir(parents=True)
    rng = np.random.default_rng(1)
    save_file({NAME: rng.normal(size=(6, 4)).astype(np.float32), BIAS: np.zeros(6, dtype=np.float32),
               "embeddings.word_embeddings.weight": rng.normal(size=(10, 4)).astype(np.float32)},
              str(folder / WEIGHTS))
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer.json").write_text("{}")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    return folder


def adapter(rank: int = 2, shape: tuple[int, int] = (6, 4)) -> Adapter:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(rank, shape[1])).astype(np.float32)
    b = rng.normal(size=(shape[0], rank)).astype(np.float32)
    return Adapter({NAME: (a, b)}, {BIAS: np.full(shape[0], 0.5, dtype=np.float32)}, 2.0)


def test_the_adapted_weights_are_the_base_plus_the_scaled_low_rank_product(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    path = tmp_path / "a.npz"
    save(adapter(), path, {"note": "test"})
    folder = adapted_folder(base, path, tmp_path / "cache")
    before, after = load_file(str(base / WEIGHTS)), load_file(str(folder / WEIGHTS))
    a, b = adapter().low_rank[NAME]
    np.testing.assert_allclose(after[NAME], before[NAME] + 2.0 * b @ a, rtol=1e-6)
    np.testing.assert_allclose(after[BIAS], before[BIAS] + 0.5)
    words = "embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(after[words], before[words])
    assert (folder / "tokenizer.json").exists() and (folder / "1_Pooling" / "config.json").exists()


def test_the_folder_is_built_once_per_adapter_and_named_by_it(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    save(adapter(), first, {})
    save(adapter(rank=3), second, {})
    folder = adapted_folder(base, first, tmp_path / "cache")
    stamp = (folder / WEIGHTS).stat().st_mtime_ns
    assert adapted_folder(base, first, tmp_path / "cache") == folder
    assert (folder / WEIGHTS).stat().st_mtime_ns == stamp  # reused, not written again
    assert adapted_folder(base, second, tmp_path / "cache") != folder
    assert fingerprint(first) != fingerprint(second)


def test_an_adapter_that_does_not_match_its_card_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save(adapter(), path, {})
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(EmbedderUnavailable, match="checksum"):
        load(path)
    with pytest.raises(EmbedderUnavailable, match="checksum"):
        adapted_folder(base_folder(tmp_path), path, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("adapted-*"))


def test_an_adapter_without_a_card_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save(adapter(), path, {})
    path.with_suffix(".json").unlink()
    with pytest.raises(EmbedderUnavailable, match="cannot read"):
        load(path)


def test_an_adapter_for_another_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    save(adapter(shape=(8, 4)), path, {})
    with pytest.raises(EmbedderUnavailable, match="does not fit"):
        adapted_folder(base_folder(tmp_path), path, tmp_path / "cache")


def test_the_shipped_adapter_matches_its_card() -> None:
    from qa.startup import ADAPTER_FILE

    shipped = load(ADAPTER_FILE)
    card = json.loads(ADAPTER_FILE.with_suffix(".json").read_text())
    assert shipped.sha256 == card["sha256"] and shipped.low_rank and shipped.scale > 0
