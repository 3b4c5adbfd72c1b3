"""FAISS vector index (cosine similarity as inner product on normalised vectors), saved crash-safely.

The file `vectors.faiss` sits beside `vectors.json`, a manifest with the model name, dimension,
count, the store generation it reflects and the file's SHA-256. A load that does not match all of
them raises `CorruptFile`, and the caller rebuilds from the store.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.errors import CorruptFile
from index.files import atomic_write, atomic_write_by, sha256_file

INDEX_FILE = "vectors.faiss"
MANIFEST_FILE = "vectors.json"
# Up to this many ids, a restricted search reads their vectors and scores them itself.
DIRECT_SCORING = 4096


@dataclass(frozen=True)
class Approximation:
    """When exact search gets too slow: above `threshold` vectors the index becomes an inverted file
    (IVF, about 4·√n lists) and a search visits `nprobe` lists. 0 = always exact. The figures
    behind the defaults are in the README ("Scale") and come from bench/scale.py."""

    threshold: int = 100_000
    nprobe: int = 64


class VectorIndex:
    def __init__(self, dim: int, index: faiss.Index | None = None,
                 approximation: Approximation = Approximation()) -> None:
        self.dim = dim
        self.approximation = approximation
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def approximate(self) -> bool:
        return faiss.try_extract_index_ivf(self._index) is not None

    @property
    def lists(self) -> int:
        """Inverted lists of an approximate index; 0 while the index is exact."""
        ivf = faiss.try_extract_index_ivf(self._index)
        return int(ivf.nlist) if ivf is not None else 0

    def add(self, ids: list[int] | np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
            contents = _contents(self._index) if self._outgrown() else None
        if contents is not None:
            # Built outside the lock, so searches go on meanwhile. Adds and removes come from one
            # writer at a time (the service's write lock): nothing changes underneath.
            rebuilt = _inverted(*contents, self.approximation.nprobe)
            with self._lock:
                self._index = rebuilt

    def _outgrown(self) -> bool:
        """Exact up to the threshold; then inverted lists, about 4·√n of them, rebuilt whenever
        n has grown fourfold since (lists twice as long as they should be)."""
        limit, count = self.approximation.threshold, self._index.ntotal
        if limit <= 0 or count <= limit:
            return False
        ivf = faiss.try_extract_index_ivf(self._index)
        return ivf is None or 4 * np.sqrt(count) >= 2 * ivf.nlist

    def remove(self, ids: list[int]) -> None:
        if ids:
            with self._lock:
                self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]  # stubs list only the C++ overload

    def search(self, query: np.ndarray, k: int, only: list[int] | None = None) -> list[tuple[int, float]]:
        """Best-first (id, cosine) pairs; `only` restricts the search to those ids, exactly."""
        if len(self) == 0 or k <= 0 or (only is not None and not only):
            return []
        if only is not None and (self.approximate or len(only) <= DIRECT_SCORING):
            return self._exact(query, k, only)
        params = None
        if only is not None:
            selector = faiss.IDSelectorBatch(np.asarray(only, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # stubs lag the SWIG API
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        # OpenMP's thread count is per calling thread: a web server's worker threads would
        # otherwise search with every core, 5-6x slower for one query (shared/notes).
        faiss.omp_set_num_threads(1)
        with self._lock:
            scores, ids = self._index.search(q, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=False) if i >= 0]

    def _exact(self, query: np.ndarray, k: int, only: list[int]) -> list[tuple[int, float]]:
        # A few dozen ids (lexical-only candidates) or one article's sentences: their vectors
        # scored directly cost a fraction of a filtered scan, and an IVF probe could miss them.
        wanted = np.asarray(only, dtype=np.int64)
        with self._lock:
            try:
                matrix = self._index.reconstruct_batch(wanted)
            except RuntimeError:  # some id is not in the index (removed meanwhile): keep the others
                kept = [i for i in only if self._has(int(i))]
                wanted = np.asarray(kept, dtype=np.int64)
                matrix = self._index.reconstruct_batch(wanted) if kept else np.zeros((0, self.dim), np.float32)
        scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(wanted[i]), float(scores[i])) for i in best]

    def _has(self, i: int) -> bool:
        try:
            self._index.reconstruct(i)
        except RuntimeError:
            return False
        return True

    def save(self, directory: Path, model: str, generation: int) -> None:
        with self._lock:  # written straight to the file: a serialised copy in memory would double the peak
            atomic_write_by(directory / INDEX_FILE, lambda tmp: faiss.write_index(self._index, str(tmp)))
            count = int(self._index.ntotal)
        manifest = {"model": model, "dim": self.dim, "count": count, "generation": generation,
                    "sha256": sha256_file(directory / INDEX_FILE)}
        # Written second: a crash in between leaves a manifest whose checksum no longer matches.
        atomic_write(directory / MANIFEST_FILE, json.dumps(manifest, indent=2).encode())

    @classmethod
    def load(cls, directory: Path, model: str, dim: int, generation: int,
             approximation: Approximation = Approximation()) -> VectorIndex:
        manifest = _read_manifest(directory / MANIFEST_FILE)
        expected = {"model": model, "dim": dim, "generation": generation}
        for key, value in expected.items():
            if manifest.get(key) != value:
                raise CorruptFile(f"vector index {key} is {manifest.get(key)!r}, expected {value!r}")
        path = directory / INDEX_FILE
        if not path.exists() or sha256_file(path) != manifest.get("sha256"):
            raise CorruptFile(f"{path} does not match its manifest checksum")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise CorruptFile(f"{path} is not a vector index: {exc}") from exc
        if index.ntotal != manifest.get("count") or index.d != dim:
            raise CorruptFile(f"{path} holds {index.ntotal} vectors, manifest says {manifest.get('count')}")
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is not None:
            ivf.nprobe = approximation.nprobe
        return cls(dim, index, approximation)


def rescored(ids: np.ndarray, matrix: np.ndarray, query: np.ndarray, k: int,
             only: list[int] | None = None) -> list[tuple[int, float]]:
    """What an exact `VectorIndex` holding these vectors (and any others) answers, to the last bit:
    for another backend's candidates to score as the SQLite backend's index scores them. A score is
    worked out by the same kernel whatever else the index holds, and ties fall the same way when the
    vectors go in by id, as that index holds them (tests/index/faiss/test_vectors.py)."""
    order = np.argsort(ids, kind="stable")
    index = VectorIndex(matrix.shape[1], approximation=Approximation(threshold=0))
    index.add(ids[order], matrix[order])
    return index.search(query, k, only)


def _read_manifest(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CorruptFile(f"{path} is missing") from exc
    except (OSError, ValueError) as exc:
        raise CorruptFile(f"{path} is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise CorruptFile(f"{path} is not a manifest")
    return data


def _contents(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) in an exact or an IVF-Flat index, copied out."""
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is None:
        exact: Any = faiss.downcast_index(index)  # an IndexIDMap2 over an IndexFlatIP; stubs say Index
        return faiss.vector_to_array(exact.id_map).astype(np.int64), exact.index.reconstruct_n(0, exact.ntotal)
    lists = ivf.invlists
    assert lists is not None  # an IVF index always has its lists
    ids, rows = [], []
    for i in range(ivf.nlist):
        size = lists.list_size(i)
        if size:
            ids.append(faiss.rev_swig_ptr(lists.get_ids(i), size).copy())
            codes = faiss.rev_swig_ptr(lists.get_codes(i), size * lists.code_size).copy()
            rows.append(codes.view(np.float32).reshape(size, ivf.d))
    return np.concatenate(ids).astype(np.int64), np.vstack(rows)


def _inverted(ids: np.ndarray, vectors: np.ndarray, nprobe: int) -> faiss.Index:
    """An IVF index over the given vectors. Trained on at most 64 vectors per list (FAISS's
    k-means gains little from more), with a hash map from id to entry so that removal and
    exact scoring of chosen ids stay possible."""
    nlist = max(16, int(4 * np.sqrt(len(ids))))
    index = faiss.index_factory(vectors.shape[1], f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: 64 * nlist]]
    index.train(np.ascontiguousarray(sample))
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # missing from the stubs
    ivf.nprobe = nprobe
    index.add_with_ids(np.ascontiguousarray(vectors), ids)
    return index

