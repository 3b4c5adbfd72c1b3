"""Vector search at scale, in one run: exact (flat) FAISS next to the service's index, which turns
approximate (IVF) above `QA_ANN_THRESHOLD` vectors, on synthetic sentence vectors.

    python -m bench.scale                       # 1,000,000 vectors, 384 dimensions
    python -m bench.scale --n 200000 --nprobe 16 32 64 128

`--data clustered` (default) stands in for real sentence embeddings, which cluster by topic: groups
of 200 vectors around random centres. `--data random` is the worst case for an inverted file: random
unit vectors, whose neighbours after the first are all about equally far. Queries are stored
vectors with noise, as a question lies near its answer. Prints
build time and memory for each index, then per nprobe: search p50/p95 (one query at a time, one
thread, as the service searches) and recall@10 against exact search.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import faiss
import numpy as np
import psutil

from index.faiss.vectors import Approximation, VectorIndex

BATCH = 50_000  # vectors per add, as a rebuild from the store feeds them


def unit(rows: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def synthetic(rng: np.random.Generator, n: int, dim: int, data: str) -> np.ndarray:
    if data == "random":
        return unit(rng.normal(size=(n, dim)).astype(np.float32))
    centres = rng.normal(size=(max(1, n // 200), dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, BATCH):  # in slices: the noise for 1M x 384 at once would need 3 GB
        rows = np.arange(start, min(start + BATCH, n))
        # As much noise as signal: a member is at cosine ~0.7 to its centre, ~0.5 to its neighbours,
        # about what sentences on one topic score under all-MiniLM-L6-v2.
        out[rows] = unit(centres[rows % len(centres)] + rng.normal(size=(len(rows), dim)))
    return out


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss / 2**20)


def build(vectors: np.ndarray, approximation: Approximation) -> tuple[VectorIndex, float, float]:
    before, t0 = rss_mb(), time.perf_counter()
    index = VectorIndex(vectors.shape[1], approximation=approximation)
    for start in range(0, len(vectors), BATCH):
        index.add(np.arange(start, min(start + BATCH, len(vectors))), vectors[start:start + BATCH])
    return index, time.perf_counter() - t0, rss_mb() - before


def timed_search(index: VectorIndex, queries: np.ndarray, k: int) -> tuple[list[list[int]], list[float]]:
    results, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        hits = index.search(q, k)
        times.append((time.perf_counter() - t0) * 1000)
        results.append([i for i, _ in hits])
    return results, times


def recall(found: list[list[int]], truth: list[list[int]], k: int = 10) -> float:
    return statistics.mean(len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threshold", type=int, default=Approximation.threshold)
    ap.add_argument("--nprobe", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--data", choices=["clustered", "random"], default="clustered")
    ap.add_argument("--noise", type=float, default=0.03, help="per-dimension noise added to make a query")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    vectors = synthetic(rng, args.n, args.dim, args.data)
    picks = rng.choice(args.n, size=args.queries, replace=False)
    queries = unit(vectors[picks] + rng.normal(scale=args.noise, size=(args.queries, args.dim)))
    print(f"{args.n:,} {args.data} vectors, {args.dim} dimensions; {args.queries} queries "
          f"(mean cosine to their source {float(np.mean(np.sum(queries * vectors[picks], axis=1))):.2f})")

    faiss.omp_set_num_threads(1)  # builds on one thread, as the README's figures were measured
    exact, secs, mem = build(vectors, Approximation(threshold=0))
    truth, exact_ms = timed_search(exact, queries, 10)
    print(f"exact (flat):       build {secs:6.1f} s, +{mem:6.0f} MB; search p50 {statistics.median(exact_ms):6.2f} ms, "
          f"p95 {np.percentile(exact_ms, 95):6.2f} ms, recall@1 1.000, recall@10 1.000")
    del exact
    approx, secs, mem = build(vectors, Approximation(args.threshold, args.nprobe[0]))
    kind = "IVF" if approx.approximate else "flat (below the threshold)"
    print(f"service index ({kind}): build {secs:6.1f} s, +{mem:6.0f} MB (threshold {args.threshold:,})")
    ivf = faiss.try_extract_index_ivf(approx._index)  # noqa: SLF001  # a benchmark may look inside
    for nprobe in args.nprobe if ivf is not None else []:
        assert ivf is not None
        ivf.nprobe = nprobe
        found, ms = timed_search(approx, queries, 10)
        print(f"  nprobe {nprobe:4d} of {ivf.nlist}: search p50 {statistics.median(ms):6.2f} ms, "
              f"p95 {np.percentile(ms, 95):6.2f} ms, recall@1 {recall(found, truth, 1):.3f}, "
              f"recall@10 {recall(found, truth):.3f}, "
              f"speed-up vs exact {statistics.median(exact_ms) / statistics.median(ms):5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
