"""How closely a question's word is matched by some word of a passage, when the passage does not
use the word itself: "brits" by "British", "meet" by "meetings", "funding" by "pledged", but
"died" by nothing in a sentence about migrants arriving. A reader's judgement makes that call;
the answerability model gets it as a number.

Words are embedded by the sentence encoder the service already has, and remembered (a news
vocabulary repeats), so a question costs an encoder call only for words not seen before. What was
learned can be handed over (`snapshot`) and taken back (`preload`), so a restart need not embed the
stored articles' words again (the service keeps them in `index.wordvectors`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import numpy as np

from index.embedders.base import Embedder
from qa.answer.question import content_words


class Relatedness:
    def __init__(self, embedder: Embedder, max_words: int = 50_000) -> None:
        self._embedder = embedder
        self._max = max_words
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.embedded = 0  # words embedded here (not preloaded): whether there is anything new to keep

    def best(self, words: list[str], candidates: list[str]) -> list[float]:
        """For each of `words`, the highest cosine to any of `candidates` (0 when there are none)."""
        if not words or not candidates:
            return [0.0] * len(words)
        vectors = self._of(list(dict.fromkeys(words + candidates)))
        asked = np.stack([vectors[w] for w in words]).astype(np.float32)
        found = np.stack([vectors[c] for c in dict.fromkeys(candidates)]).astype(np.float32)
        return [float(v) for v in (asked @ found.T).max(axis=1)]

    def learn_article(self, text: str) -> None:
        """Embed an article's words (those a question's asked-about words are matched against) at
        ingest or start-up, not while a reader waits."""
        self.learn(w.lower() for w in content_words(text))

    def learn(self, words: Iterable[str], batch: int = 256) -> None:
        """Embed words ahead of the questions that will need them (an article's, at ingest)."""
        with self._lock:
            new = [w for w in dict.fromkeys(words) if w not in self._vectors][: self._max]
        for start in range(0, len(new), batch):
            self._of(new[start:start + batch])

    def preload(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Take words embedded earlier by the same encoder (up to the bound)."""
        with self._lock:
            for word, vector in vectors.items():
                if len(self._vectors) >= self._max:
                    break
                self._vectors.setdefault(word, vector.astype(np.float16, copy=False))

    def snapshot(self) -> dict[str, np.ndarray]:
        with self._lock:
            return dict(self._vectors)

    def _of(self, words: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = {w: self._vectors[w] for w in words if w in self._vectors}
        missing = [w for w in words if w not in known]
        if missing:
            fresh = self._embedder.encode(missing)
            with self._lock:
                self.embedded += len(missing)
                for word, vector in zip(missing, fresh, strict=True):
                    # float16 halves the memory; a word's similarity needs no more precision.
                    self._vectors[word] = known[word] = vector.astype(np.float16)
                while len(self._vectors) > self._max:
                    self._vectors.popitem(last=False)
        return known
