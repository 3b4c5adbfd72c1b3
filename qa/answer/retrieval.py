"""First stage: candidates from the dense (FAISS) and lexical (BM25) rankers, fused by
reciprocal rank, each carrying its window of neighbouring sentences for the reranker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from index.protocols import Storage, VectorSearch
from index.types import StoredSentence

RRF_K = 60  # the usual constant from Cormack et al. (2009): damps the head of each ranking


@dataclass
class Candidate:
    sentence: StoredSentence
    title: str = ""
    dense: float = 0.0
    lexical: float = 0.0
    fused: float = 0.0
    window: list[StoredSentence] = field(default_factory=list)
    score: float = 0.0
    previous: str = ""  # the sentence before, for features that look at context
    features: dict[str, float] = field(default_factory=dict)  # the reranker's, once it has scored this


def gather(
    store: Storage, vectors: VectorSearch, query: np.ndarray, text: str, depth: int, document_id: str | None
) -> list[Candidate]:
    only = store.sentence_ids(document_id) if document_id is not None else None
    dense = vectors.search(query, depth, only)
    lexical = store.lexical_search(text, depth, document_id)
    by_id: dict[int, dict[str, float]] = {}
    for name, ranking in (("dense", dense), ("lexical", lexical)):
        for rank, (sid, score) in enumerate(ranking):
            entry = by_id.setdefault(sid, {"fused": 0.0})
            entry[name] = score
            entry["fused"] += 1.0 / (RRF_K + rank + 1)
    if dense and lexical:
        _fill_missing_dense(by_id, vectors, query, [sid for sid, _ in lexical])
    return _materialise(store, by_id)


def _fill_missing_dense(by_id: dict[int, dict[str, float]], vectors: VectorSearch, query: np.ndarray,
                        ids: list[int]) -> None:
    # A lexical-only hit still deserves its true cosine, not zero, for the reranker.
    missing = [sid for sid in ids if "dense" not in by_id[sid]]
    for sid, score in vectors.search(query, len(missing), missing) if missing else []:
        by_id[sid]["dense"] = score


def _materialise(store: Storage, by_id: dict[int, dict[str, float]]) -> list[Candidate]:
    windows = store.windows_of(list(by_id))
    sentences = {sid: next(s for s in window if s.id == sid) for sid, window in windows.items()}
    titles = store.titles(list({s.document_id for s in sentences.values()})) if sentences else {}
    out = []
    for sid, sentence in sentences.items():
        scores, window = by_id[sid], windows[sid]
        out.append(Candidate(sentence=sentence, title=titles.get(sentence.document_id, ""),
                             dense=scores.get("dense", 0.0), lexical=scores.get("lexical", 0.0),
                             fused=scores["fused"], window=window,
                             previous=" ".join(s.text for s in window if s.position < sentence.position)))
    out.sort(key=lambda c: c.fused, reverse=True)
    return out
