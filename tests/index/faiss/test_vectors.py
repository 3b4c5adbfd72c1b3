from pathlib import Path

import numpy as np
import pytest

from index.errors import CorruptFile
from index.faiss.vectors import INDEX_FILE, MANIFEST_FILE, Approximation, VectorIndex
from tests.index.contract import unit_vectors


def _unit(rows: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    return unit_vectors(rows, dim, seed)


def test_search_add_remove_and_filter() -> None:
    index = VectorIndex(8)
    vectors = _unit(5)
    index.add([10, 11, 12, 13, 14], vectors)
    assert index.search(vectors[2], 1)[0][0] == 12
    index.remove([12])
    assert 12 not in [i for i, _ in index.search(vectors[2], 5)]
    assert [i for i, _ in index.search(vectors[2], 5, only=[13])] == [13]
    assert index.search(vectors[0], 5, only=[]) == []


def test_restricted_search_scores_directly_or_by_scan_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    index = VectorIndex(8)
    vectors = _unit(200, seed=3)
    index.add(list(range(1000, 1200)), vectors)
    index.remove([1005])
    only = [1000 + i for i in range(0, 200, 3)] + [1005, 99999]  # a removed id and one never added
    direct = index.search(vectors[0], 10, only)
    monkeypatch.setattr("index.faiss.vectors.DIRECT_SCORING", 0)  # force the filtered FAISS scan
    scanned = index.search(vectors[0], 10, only)
    assert [i for i, _ in direct] == [i for i, _ in scanned]
    assert np.allclose([s for _, s in direct], [s for _, s in scanned], atol=1e-5)
    assert 1005 not in [i for i, _ in direct] and direct[0][0] == 1000


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = VectorIndex(8)
    index.add([1, 2, 3], _unit(3))
    index.save(tmp_path, "m", generation=7)
    loaded = VectorIndex.load(tmp_path, "m", 8, generation=7)
    assert len(loaded) == 3


@pytest.mark.parametrize("model,dim,generation", [("other", 8, 7), ("m", 16, 7), ("m", 8, 8)])
def test_load_rejects_manifest_mismatch(tmp_path: Path, model: str, dim: int, generation: int) -> None:
    index = VectorIndex(8)
    index.add([1], _unit(1))
    index.save(tmp_path, "m", generation=7)
    with pytest.raises(CorruptFile):
        VectorIndex.load(tmp_path, model, dim, generation)


@pytest.mark.parametrize("damage", ["truncate", "flip", "manifest", "missing"])
def test_load_detects_damaged_files(tmp_path: Path, damage: str) -> None:
    index = VectorIndex(8)
    index.add([1, 2], _unit(2))
    index.save(tmp_path, "m", generation=1)
    path = tmp_path / INDEX_FILE
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "manifest":
        (tmp_path / MANIFEST_FILE).write_text("{not json")
    else:
        path.unlink()
    with pytest.raises(CorruptFile):
        VectorIndex.load(tmp_path, "m", 8, generation=1)


def test_turns_approximate_above_the_threshold_and_stays_correct(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(10, 3010)
    index = VectorIndex(32, approximation=Approximation(threshold=1000, nprobe=16))
    index.add(ids[:900], vectors[:900])
    assert not index.approximate
    index.add(ids[900:], vectors[900:])
    assert index.approximate and len(index) == 3000
    assert all(index.search(vectors[i], 3)[0][0] == ids[i] for i in range(0, 3000, 25))
    # Restricted to chosen ids (one article), the search is exact whatever the probes visit.
    only = [int(i) for i in ids[100:140]]
    exact = sorted(((int(i), float(vectors[i - 10] @ vectors[0])) for i in only), key=lambda p: -p[1])[:5]
    assert [i for i, _ in index.search(vectors[0], 5, only)] == [i for i, _ in exact]
    index.remove([int(ids[7])])
    assert len(index) == 2999 and index.search(vectors[7], 1, [int(ids[7])]) == []
    index.save(tmp_path, "m", 1)
    loaded = VectorIndex.load(tmp_path, "m", 32, 1, Approximation(threshold=1000, nprobe=16))
    assert loaded.approximate and loaded.search(vectors[9], 1)[0][0] == ids[9]


def test_inverted_lists_are_rebuilt_as_the_index_grows() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(4000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, approximation=Approximation(threshold=200, nprobe=8))
    lists = []
    for start in range(0, 4000, 100):
        index.add(np.arange(start, start + 100), vectors[start:start + 100])
        lists.append(index.lists)
    assert lists[0] == 0 and lists[2] > 0  # exact, then inverted past the threshold
    assert lists[-1] >= 2 * lists[2]  # re-planned for the larger size
    assert len(index) == 4000
    assert all(index.search(vectors[i], 1)[0][0] == i for i in range(0, 4000, 50))
