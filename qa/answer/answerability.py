"""Whether to answer: a probability that the top passage answers the question, from a model
learned on SQuAD training articles and readers' questions (see `qa.learn.training` and
docs/answerability.md): a few small one-hidden-layer networks averaged, or a logistic model.

The features are what a reader's judgement uses: does the sentence (with the one before it and the
title) account for the words that say *what is asked about*, not only the names; are those words
in the searched articles at all; does it hold the kind of thing asked for; how far ahead of the
runner-up is it; how sure are the two rankers.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.question import Question, content_words
from qa.answer.relatedness import Relatedness
from qa.answer.reranking import Asked, Weights, features, terms_of
from qa.answer.retrieval import Candidate
from qa.answer.spelling import Vocabulary
from qa.errors import CorruptFile

KINDS = ("number", "money", "duration", "date", "person", "place", "origin", "reason", "quote", "role", "yesno",
         "other")
NAMES = ("score", "margin", "dense", "dense_margin", "lexical", "overlap", "context", "names", "kind", "speaker",
         "phrases", "covered", "covered_here", "absent", "absent_any", "explained", "unexplained_max",
         "missing_names", "terms", "dense_first", "lexical_first", "novel", "rank",
         *(f"asks_{k}" for k in KINDS))
_NEWS = re.compile(r"\b(?:[A-Z][a-z]+|\d[\d,.]*)\b")
CHOICES = 3  # the reranker's first passages the model weighs against each other
MODEL_FILE = Path(__file__).with_name("answerability.json")


@dataclass(frozen=True)
class Evidence:
    """What the decision sees about one question, its ranked candidates and the one at `index`."""

    asked: Asked
    ranked: list[Candidate]
    vocabulary: Vocabulary
    missing_names: int
    relatedness: Relatedness
    index: int = 0

    def at(self, index: int) -> Evidence:
        return replace(self, index=index)

    def vector(self) -> np.ndarray:
        values = self.values()
        return np.array([values[n] for n in NAMES], dtype=np.float64)

    def values(self) -> dict[str, float]:
        top, q = self.ranked[self.index], self.asked.question
        others = self.ranked[:self.index] + self.ranked[self.index + 1:]
        max_lexical = max(c.lexical for c in self.ranked)
        own = features(self.asked, top, max_lexical)
        asked_about = _asked_about(q)
        return {
            "score": top.score, "margin": top.score - max((c.score for c in others), default=0.0),
            "dense": top.dense, "dense_margin": top.dense - max((c.dense for c in others), default=0.0),
            "lexical": own["lexical"], "overlap": own["overlap"], "context": own["context"], "names": own["names"],
            "kind": own["kind"], "speaker": own["speaker"], "phrases": own["phrases"],
            "covered": _covered(asked_about, self.asked, f"{top.title} {top.previous} {top.sentence.text}"),
            "covered_here": _covered(asked_about, self.asked, top.sentence.text),
            "absent": _absent(asked_about, self.asked, self.vocabulary),
            "absent_any": 1.0 if any(not self.vocabulary.has_stem(t) for t in asked_about) else 0.0,
            **self._explained(asked_about, top),
            "missing_names": self.missing_names / len(q.names) if q.names else 0.0,
            "terms": math.log1p(len(q.terms)),
            # The two rankers agreeing on the passage is a classic sign of a safe answer.
            "dense_first": 1.0 if top.dense >= max(c.dense for c in self.ranked) else 0.0,
            "lexical_first": 1.0 if top.lexical >= max_lexical else 0.0,
            "novel": _novel(q, top.sentence.text),
            "rank": float(self.index),
            **{f"asks_{k}": 1.0 if q.expects == k else 0.0 for k in KINDS},
        }


    def _explained(self, asked_about: list[str], top: Candidate) -> dict[str, float]:
        """How well the passage matches each asked-about word: 1 where it uses the word, else the
        closest of its words by meaning; their weighted mean and the worst-matched word."""
        text = f"{top.previous} {top.sentence.text}"
        own = terms_of(text)
        q = self.asked.question
        words = {t: w.lower() for t, w in zip(q.terms, q.words, strict=True)}
        unmatched = [t for t in asked_about if t not in own]
        nearest = self.relatedness.best([words[t] for t in unmatched], [w.lower() for w in content_words(text)])
        match = {t: 1.0 for t in asked_about} | dict(zip(unmatched, nearest, strict=True))
        if not match:
            return {"explained": 1.0, "unexplained_max": 0.0}
        total = sum(self.asked.weight.get(t, 1.0) for t in match)
        return {"explained": sum(self.asked.weight.get(t, 1.0) * m for t, m in match.items()) / total,
                "unexplained_max": 1.0 - min(match.values())}


def _ranker(value: object) -> dict[str, float] | None:
    if value is None:
        return None
    known = set(Weights.__dataclass_fields__)
    if not isinstance(value, dict) or set(value) - known:
        raise CorruptFile("names reranker weights this code does not have")
    return {str(k): _number(v) for k, v in value.items()}


def _novel(q: Question, text: str) -> float:
    """Names and numbers the sentence adds to the question: an answer tells something new, a
    sentence that only repeats the question does not."""
    asked = {w.lower() for w in q.text.split()}
    new = {m.group(0).lower() for m in _NEWS.finditer(text)} - asked
    return min(len(new), 5) / 5


def _asked_about(q: Question) -> list[str]:
    """The question's content terms that are not names: "died", "population", "president"."""
    named = {w.lower() for n in q.names for w in n.split()}
    return [t for t, w in zip(q.terms, q.words, strict=True) if w.lower() not in named]


def _covered(terms: list[str], asked: Asked, text: str) -> float:
    if not terms:
        return 1.0
    own = terms_of(text)
    total = sum(asked.weight.get(t, 1.0) for t in terms)
    return sum(asked.weight.get(t, 1.0) for t in terms if t in own) / total


def _absent(terms: list[str], asked: Asked, vocabulary: Vocabulary) -> float:
    if not terms:
        return 0.0
    total = sum(asked.weight.get(t, 1.0) for t in terms)
    return sum(asked.weight.get(t, 1.0) for t in terms if not vocabulary.has_stem(t)) / total


@dataclass(frozen=True)
class Hidden:
    """Networks with one hidden layer, side by side: member k is
    sigmoid(out[k] . relu(z @ inner[:, k] + inner_bias[k]) + out_bias[k]) on the standardised z."""

    inner: np.ndarray  # (features, members, units)
    inner_bias: np.ndarray  # (members, units)
    out: np.ndarray  # (members, units)
    out_bias: np.ndarray  # (members,)

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """Rows of standardised features in, one probability a row out."""
        h = np.maximum(np.einsum("nf,fmu->nmu", z, self.inner) + self.inner_bias, 0.0)
        logits = np.clip((h * self.out).sum(axis=2) + self.out_bias, -30.0, 30.0)
        return np.asarray(np.mean(1.0 / (1.0 + np.exp(-logits)), axis=1))

    def to_dict(self) -> dict[str, object]:
        return {"inner": self.inner.tolist(), "inner_bias": self.inner_bias.tolist(), "out": self.out.tolist(),
                "out_bias": self.out_bias.tolist()}

    @classmethod
    def from_dict(cls, body: object, features: int) -> Hidden:
        """Raises ValueError, KeyError or TypeError for anything but networks over `features`."""
        if not isinstance(body, dict):
            raise ValueError("not an object")
        inner = _numbers(body["inner"])
        if inner.ndim != 3 or inner.shape[0] != features:
            raise ValueError("a hidden layer of the wrong shape")
        members, units = inner.shape[1:]
        return cls(inner, _numbers(body["inner_bias"], (members, units)), _numbers(body["out"], (members, units)),
                   _numbers(body["out_bias"], (members,)))


def _numbers(value: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Finite numbers of the given shape, strictly: a string, a boolean, a null or a ragged list in a
    model file is damage, not a value to convert (NaN would reach every confidence)."""
    array = np.asarray(value)
    if array.dtype.kind not in "if" or (shape is not None and array.shape != shape):
        raise ValueError("numbers of the wrong type or shape")
    if not np.isfinite(array).all():
        raise ValueError("a number that is not finite")
    return array.astype(float)


def _number(value: object) -> float:
    return float(_numbers(value, ()))


@dataclass(frozen=True)
class Model:
    """On standardised features z = (x - mean) / scale: the mean of `hidden`'s networks when there
    are any (one feature can weigh differently depending on the others), else the logistic
    p = sigmoid(w . z + b). A file with networks carries the logistic model too, fitted on the same
    rows, for code that reads only that."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float  # the probability at or above which an answer is shown
    meta: dict[str, object]
    closest: float = 1.0  # below `threshold`, at or above this: the first passage is shown as the closest one
    # The reranker's weights this decision was fitted with (`reranking.Weights` fields); None: the defaults.
    ranker: dict[str, float] | None = None
    hidden: Hidden | None = None

    def ranker_weights(self) -> Weights:
        return Weights(**self.ranker) if self.ranker else Weights()

    def choose(self, evidence: Evidence) -> tuple[int, float]:
        """Of the first `CHOICES` passages, the one most likely to answer, and that probability.
        Ties keep the reranker's order."""
        p = self.probabilities(np.stack([evidence.at(i).vector() for i in range(min(CHOICES, len(evidence.ranked)))]))
        index = int(np.argmax(p))  # the first of equals
        return index, float(p[index])

    def probability(self, x: np.ndarray) -> float:
        return float(self.probabilities(x[None, :])[0])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """One probability per row of raw features."""
        z = (x - self.mean) / self.scale
        if self.hidden is not None:
            return self.hidden.probabilities(z)
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z @ self.weights + self.bias, -30.0, 30.0))))

    @classmethod
    def neutral(cls) -> Model:
        """Probability one half for everything: what training starts from, when no model fits yet."""
        n = len(NAMES)
        return cls(NAMES, np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.5, {"note": "neutral"}, 0.5)

    def to_json(self) -> str:
        body = {"names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias, "threshold": self.threshold, "meta": self.meta,
                "closest": self.closest, **({"ranker": self.ranker} if self.ranker else {}),
                **({"hidden": self.hidden.to_dict()} if self.hidden is not None else {})}
        payload = json.dumps(body, sort_keys=True)
        return json.dumps({"sha256": hashlib.sha256(payload.encode()).hexdigest(), "model": body},
                          indent=1, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Model:
        """Read and verify the learned parameters; a file that does not match its checksum or the
        features this code computes is refused rather than silently mis-read."""
        try:
            outer = json.loads(path.read_text("utf-8"))
            body = outer["model"]
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptFile(f"cannot read the answerability model {path}: {exc}") from exc
        if digest != outer.get("sha256"):
            raise CorruptFile(f"the answerability model {path} does not match its checksum")
        try:
            return cls._from(body)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise CorruptFile(f"the answerability model {path} holds unreadable parameters: {exc}") from exc
        except CorruptFile as exc:
            raise CorruptFile(f"the answerability model {path} {exc}") from exc

    @classmethod
    def _from(cls, body: dict[str, Any]) -> Model:
        if tuple(body["names"]) != NAMES:
            raise CorruptFile("was trained on other features")
        if not isinstance(body["meta"], dict):
            raise ValueError("meta is not an object")
        n = len(NAMES)
        hidden = body.get("hidden")
        return cls(names=NAMES, mean=_numbers(body["mean"], (n,)), scale=_numbers(body["scale"], (n,)),
                   weights=_numbers(body["weights"], (n,)), bias=_number(body["bias"]),
                   threshold=_number(body["threshold"]), meta=dict(body["meta"]),
                   closest=_number(body.get("closest", 1.0)), ranker=_ranker(body.get("ranker")),
                   hidden=None if hidden is None else Hidden.from_dict(hidden, n))

    def save(self, path: Path) -> None:
        from index.files import atomic_write

        atomic_write(path, self.to_json().encode())
