"""Questions grouped by meaning: readers who asked for the same missing thing in other words end
up in one group, with a count and the question that says it best (the one nearest the group's
centre). Average-linkage clustering on the encoder's cosine similarity, cut at `SIMILARITY`:
every pair of groups left apart is, on average, less alike than that.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.embedders.base import Embedder

# The cut with the best pairwise F1 on half of the readers' articles, measured on the other half
# (bench/insights.py, docs/insights.md): there, 98.6% of the pairs it put together asked for the
# same missing thing, and it put together 88.5% of such pairs.
SIMILARITY = 0.65


@dataclass(frozen=True)
class Cluster:
    """Indices into the grouped texts: `members` most frequent first, `centre` the representative."""

    members: list[int]
    centre: int
    count: int  # questions, repeats included


def key(text: str) -> str:
    """What makes two questions the same question: case, spacing and end punctuation aside."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def cluster(texts: Sequence[str], vectors: np.ndarray, threshold: float = SIMILARITY) -> list[Cluster]:
    """Group `texts` (row i of `vectors` for text i, unit length); repeats of one question (by
    `key`) count once for the clustering and fully in `count`. Largest groups first."""
    firsts: dict[str, int] = {}
    counts: dict[int, int] = {}
    for i, text in enumerate(texts):
        first = firsts.setdefault(key(text), i)
        counts[first] = counts.get(first, 0) + 1
    distinct = list(counts)
    labels = _labels(vectors[distinct], threshold)
    found: dict[int, list[int]] = {}
    for index, label in zip(distinct, labels, strict=True):
        found.setdefault(label, []).append(index)
    clusters = [_cluster(sorted(m, key=lambda i: (-counts[i], i)), counts, vectors) for m in found.values()]
    return sorted(clusters, key=lambda c: (-c.count, c.members[0]))


def _labels(vectors: np.ndarray, threshold: float) -> list[int]:
    if len(vectors) < 2:
        return [0] * len(vectors)
    from scipy.cluster.hierarchy import fcluster, linkage  # only when an editor asks: not at start-up

    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    condensed = distances[np.triu_indices(len(vectors), k=1)]
    tree = linkage(condensed, method="average")
    return [int(label) for label in fcluster(tree, t=1.0 - threshold, criterion="distance")]


def _cluster(members: list[int], counts: dict[int, int], vectors: np.ndarray) -> Cluster:
    weights = np.array([counts[i] for i in members], dtype=np.float32)
    centre = (vectors[members] * weights[:, None]).sum(axis=0)
    nearest = members[int(np.argmax(vectors[members] @ centre))]
    return Cluster(members=members, centre=nearest, count=int(weights.sum()))


class QuestionVectors:
    """Questions' vectors by the service's encoder, remembered (a report is read again and again
    over mostly the same questions) up to `max_items`, the least recently used forgotten first."""

    def __init__(self, embedder: Embedder, max_items: int = 20_000, batch: int = 64) -> None:
        self._embedder, self._max, self._batch = embedder, max_items, batch
        self._known: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, row i for text i."""
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            found = {t: self._known[t] for t in wanted if t in self._known}
        missing = [t for t in wanted if t not in found]
        for start in range(0, len(missing), self._batch):  # small calls: readers' questions go in between
            chunk = missing[start:start + self._batch]
            found.update(zip(chunk, self._embedder.encode(chunk), strict=True))
        with self._lock:
            for text in wanted:
                self._known[text] = found[text]
                self._known.move_to_end(text)
            while len(self._known) > self._max:
                self._known.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self._embedder.dim), dtype=np.float32)
