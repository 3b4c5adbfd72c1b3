"""The answer path after the question is understood (`qa.answer.understanding`), as named stages
that each take what the one before returned: candidates from both rankers, their ranking, the
decision on the best one, and the passages a reader is shown. `Answerer.judge` reads top to bottom."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np

from index.embedders.base import Embedder
from index.embedders.batching import BatchingEmbedder
from index.protocols import Backend
from qa.abandon import checkpoint
from qa.answer import answerability, byline, passages, reranking, retrieval
from qa.answer.cache import AnswerCache, key_for
from qa.answer.passages import Passage
from qa.answer.relatedness import Relatedness
from qa.answer.understanding import Understood


@dataclass(frozen=True)
class Judged:
    """A question's ranked passages and the decision on its best one."""

    answer: Passage | None
    passages: list[Passage]
    confidence: float  # the probability that the first passage answers the question
    evidence: answerability.Evidence | None
    closest: Passage | None = None  # likely but not certain: shown as the closest passage, never as the answer


@dataclass(frozen=True)
class Ranked:
    """The ranking stage's result: what was asked, weighed by the store's word frequencies, and
    the candidates in the reranker's order."""

    asked: reranking.Asked
    candidates: list[retrieval.Candidate]


@dataclass(frozen=True)
class Decision:
    """The decision stage's result: the candidates with the chosen one first, the probability
    that it answers, and whether it is shown as the answer or as the closest passage."""

    order: list[retrieval.Candidate]  # the ranking, the chosen candidate moved first
    confidence: float
    evidence: answerability.Evidence
    shown: bool  # as the answer
    as_closest: bool  # as the closest passage


@dataclass
class Answerer:
    """The answer path after understanding, for one store: `judge` runs its stages for an
    `Understood` question; `answer` does the same through the answer cache."""

    backend: Backend
    embedder: Embedder
    decision: answerability.Model  # the learned answer-or-abstain model, fitted to `weights`' ranking
    weights: reranking.Weights
    relatedness: Relatedness
    depth: int  # candidates taken from each ranker
    # Set, these replace the model's own thresholds: at or above `min_confidence` the first passage is
    # shown as the answer; below it, at or above `closest_confidence`, as the closest passage.
    min_confidence: float | None = None
    closest_confidence: float | None = None
    cache: AnswerCache[Judged] = field(default_factory=lambda: AnswerCache(0))

    @property
    def threshold(self) -> float:
        return self.decision.threshold if self.min_confidence is None else self.min_confidence

    @property
    def near(self) -> float:
        return self.decision.closest if self.closest_confidence is None else self.closest_confidence

    def answer(self, u: Understood, top_k: int) -> Judged:
        """`judge`, through the answer cache for a question that follows no earlier turn."""
        if u.previous is not None:
            return self.judge(u, top_k)
        key = key_for(u.text, u.document_id, top_k, self.backend.generation())
        judged = self.cache.get(key) or self.judge(u, top_k)
        self.cache.put(key, replace(judged, evidence=None))  # the candidates need not be kept
        return judged

    def judge(self, u: Understood, top_k: int) -> Judged:
        """The stages, in order. A question whose client gave up stops at the next `checkpoint`:
        before and after the encoder, and after the ranking."""
        if (from_page := byline.answer(u.text, u.document_id, self.backend)) is not None:
            return Judged(from_page, [from_page], 1.0, None)
        with self._load():
            checkpoint()
            # The vector first, BM25 after (under the lock): see docs/decisions.md.
            vector = self.embedder.encode([u.resolved])[0]
            checkpoint()
            # One consistent view of the store while the answer is put together: a concurrent
            # replace or delete must not remove a sentence between finding it and quoting it.
            with self.backend.lock:
                candidates = self.candidates(u, vector)
                ranked = self.rank(u, candidates)
                checkpoint()
                if not ranked.candidates:
                    return Judged(None, [], 0.0, None)
                decision = self.decide(u, ranked)
                return self.present(u, decision, top_k)

    def _load(self) -> AbstractContextManager[object]:
        # Counted while it is answered: the encoder takes both cores only for a lone question.
        return self.embedder.load if isinstance(self.embedder, BatchingEmbedder) else nullcontext()

    def candidates(self, u: Understood, vector: np.ndarray) -> list[retrieval.Candidate]:
        """From the dense and the lexical ranker, fused by reciprocal rank."""
        return retrieval.gather(self.backend, self.backend, vector, u.resolved, self.depth, u.document_id)

    def rank(self, u: Understood, candidates: list[retrieval.Candidate]) -> Ranked:
        """Reordered on features; the question's rare words weigh more."""
        q = u.question
        counts, total = self.backend.document_frequencies(list(q.words))
        idf = {t: math.log(1 + total / (1 + counts[w])) for t, w in zip(q.terms, q.words, strict=True)}
        asked = reranking.Asked.of(q, idf)
        return Ranked(asked, reranking.rerank(asked, candidates, self.weights, u.focus))

    def decide(self, u: Understood, ranked: Ranked) -> Decision:
        """Of the first passages, the likeliest to answer; shown as the answer, as the closest
        passage, or not at all (then also when the names asked about are not in the articles)."""
        missing = passages.missing_names(self.backend, u.question, u.document_id)
        evidence = answerability.Evidence(ranked.asked, ranked.candidates, u.vocabulary, len(missing),
                                          self.relatedness)
        chosen, confidence = self.decision.choose(evidence)
        ranking = ranked.candidates
        order = [ranking[chosen], *ranking[:chosen], *ranking[chosen + 1:]]
        known = passages.names_known(missing, u.question)
        shown = confidence >= self.threshold and known
        closest = not shown and known and confidence >= min(self.near, self.threshold)
        return Decision(order, confidence, evidence.at(chosen), shown, closest)

    def present(self, u: Understood, decision: Decision, top_k: int) -> Judged:
        """The first `top_k` passages; only an answer gets a highlight, only the first a confidence."""
        shown, confidence = decision.shown, decision.confidence
        marked = replace(u.question, names=u.given)  # the highlight never marks a name the asker gave
        found = [passages.to_passage(self.backend, c, marked if shown and i == 0 else None,
                                     confidence if i == 0 else None)
                 for i, c in enumerate(decision.order[:top_k])]
        return Judged(found[0] if shown else None, found, confidence, decision.evidence,
                      found[0] if decision.as_closest else None)
