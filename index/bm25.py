"""BM25 exactly as FTS5's bm25() computes it, shared by both backends so that the same sentences give
the same scores, to the last bit, wherever they are stored: the tokens come from FTS5's own
tokenizer, and the statistics (sentences, mean length in tokens, each term's sentences and counts)
from the backend (`index.sqlite.postings` reads FTS5's postings, `index.postgres.postings` the
token arrays PostgreSQL keeps). Scoring is done here, with numpy, a term's postings read once per
store generation (docs/decisions.md)."""

from __future__ import annotations

import math
import sqlite3
import threading

import numpy as np

from index import lexical
from index.cache import Memo

TOKENIZE = "porter unicode61"  # the lexical index's tokenizer, here and in the SQLite store's schema
K1, B = 1.2, 0.75  # bm25()'s constants
Ranking = list[tuple[int, float]]
Term = tuple[np.ndarray, np.ndarray]  # sentence ids, and the term's BM25 weight in each


class Postings:
    """BM25 over a backend's postings. A backend supplies a term's rows, the corpus statistics and
    phrase counts; callers hold the store's lock (one generation's reads at a time)."""

    def __init__(self, max_terms: int = 20_000) -> None:
        self._terms: Memo[str, Term] = Memo(max_terms)
        self._totals: Memo[str, tuple[int, float]] = Memo(1)
        self._tokens = Tokenizer()

    def close(self) -> None:
        self._tokens.close()

    def _rows(self, token: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sentences holding `token`: their ids (int64), its count in each and their lengths in
        tokens (float64)."""
        raise NotImplementedError

    def _read_stats(self) -> tuple[int, float]:
        """How many sentences there are, and their mean length in tokens (1.0 when there are none)."""
        raise NotImplementedError

    def _phrase_count(self, word: str) -> int:
        """How many sentences hold the tokens of `word`'s words consecutively, as the FTS5 phrase
        `lexical.sentences_with` matches."""
        raise NotImplementedError

    def search(self, words: list[str], k: int, generation: int, within: np.ndarray | None = None) -> Ranking:
        """Best-first (sentence id, score) for `words` as bm25() ranks the FTS5 query `"w1" OR "w2" ...`.
        One difference: a word FTS5 splits into several tokens counts each token, not the phrase.
        `within` restricts the result, not the statistics (as a restricted FTS5 query does)."""
        known = self._terms.at(generation)
        parts = [self._term(token, known, generation) for token in self._tokens.of(words)]
        if not parts or k <= 0:
            return []
        return best(parts, k, within)

    def frequencies(self, words: list[str], generation: int) -> tuple[dict[str, int], int]:
        """How many sentences hold each word (as the index stems it), and how many there are: from
        the postings a question's BM25 search has read already, more often than not."""
        known = self._terms.at(generation)
        counts = {}
        for word in words:
            tokens = self._tokens.of([word])
            # "Brokenshire's" is the phrase "brokenshir s": FTS5 counts those.
            counts[word] = len(self._term(tokens[0], known, generation)[0]) if len(tokens) == 1 \
                else self._phrase_count(word)
        return counts, self.totals(generation)[0]

    def _term(self, token: str, known: dict[str, Term], generation: int) -> Term:
        if token not in known:
            count, average = self.totals(generation)
            known[token] = weights(count, average, *self._rows(token))
        return known[token]

    def totals(self, generation: int) -> tuple[int, float]:
        """How many sentences there are and their mean length in tokens, read once per generation."""
        return self._totals.get(generation, "", self._read_stats)


def weights(count: int, average: float, ids: np.ndarray, tf: np.ndarray, length: np.ndarray) -> Term:
    """A term's BM25 weight in each sentence holding it, as bm25() works it out."""
    return ids, idf(count, len(ids)) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def best(parts: list[Term], k: int, within: np.ndarray | None) -> Ranking:
    """The `k` best sentences by their terms' summed weights; ties by id, lowest first."""
    ids, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))
    if within is not None:
        keep = np.isin(ids, within)
        ids, scores = ids[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


def idf(count: int, hits: int) -> float:
    """bm25()'s inverse document frequency, floored as it floors it (a term in most sentences)."""
    value = math.log((count - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else 1e-6


def phrase(text: str, tokens: Tokenizer) -> list[str]:
    """The tokens of the FTS5 phrase `lexical.contains_phrase` and `lexical.sentences_with` build
    from `text` (its words, stop words kept, each once, in order)."""
    terms = lexical.query_terms(text, stopwords=False)
    return tokens.sequences([" ".join(terms)])[0] if terms else []


class Tokenizer:
    """Words turned into the index's tokens by FTS5's tokenizer itself, in a private in-memory
    database (a Porter stemmer of our own would drift from it). Each word is remembered."""

    def __init__(self, max_words: int = 100_000) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{TOKENIZE}')")
        self._conn.execute("CREATE VIRTUAL TABLE word_tokens USING fts5vocab(words, instance)")
        self._known: dict[str, tuple[str, ...]] = {}
        self._max = max_words
        self._lock = threading.Lock()  # a writer's sentences and a reader's question, from two threads

    def close(self) -> None:
        self._conn.close()

    def of(self, words: list[str]) -> list[str]:
        with self._lock:
            if len(self._known) > self._max:
                self._known.clear()
            missing = [w for w in dict.fromkeys(words) if w not in self._known]
            if missing:
                self._known.update(zip(missing, map(tuple, self._tokenise(missing)), strict=True))
            return [token for w in words for token in self._known[w]]

    def sequences(self, texts: list[str]) -> list[list[str]]:
        """Each text's tokens in order, as FTS5 indexes it (not remembered: sentences rarely recur)."""
        with self._lock:
            return self._tokenise(texts)

    def _tokenise(self, texts: list[str]) -> list[list[str]]:
        self._conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)", enumerate(texts))
        found: list[list[str]] = [[] for _ in texts]
        for row, token in self._conn.execute("SELECT doc, term FROM word_tokens ORDER BY doc, offset"):
            found[row].append(token)
        self._conn.execute("DELETE FROM words")
        return found
