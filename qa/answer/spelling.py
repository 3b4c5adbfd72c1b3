"""Readers' spelling: questions typed in lower case, without apostrophes, with typos and
text-speak ("wat did the mayor say", "whats brokenshires job", "why r the brits officals there")
are rewritten against the searched articles' own vocabulary before anything is ranked.

A word the articles contain is never changed (only its capitals restored, so "calais" is a name
again). A real English word the articles lack is kept too: "population" in a question about an
article that never mentions one is the best evidence that the article cannot answer it, and
"correcting" it to a near article word would manufacture a false answer. Only a word that is
neither is matched to the closest article word, with rapidfuzz's edit distance.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.cache import Memo
from index.protocols import Storage
from qa.answer.question import stem

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_WORD_IN_TEXT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?\"“:]|\n)\s*$")
MAX_CORRECTIONS = 6  # distinct words of one question matched against the vocabulary: see _Corrector
# Chat shorthand and apostrophe-less contractions, general English, not any article's words.
_SHORTHAND = {
    "u": "you", "r": "are", "ur": "your", "y": "why", "w": "with", "abt": "about",
    "wat": "what", "wht": "what", "wut": "what", "wot": "what", "whats": "what is", "whos": "who is",
    "wheres": "where is", "whens": "when is", "hows": "how is", "whys": "why is", "thats": "that is",
    "bc": "because", "cuz": "because", "coz": "because", "govt": "government", "gov": "government",
    "ppl": "people", "pls": "please", "plz": "please", "tho": "though", "thru": "through", "msg": "message",
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't", "wasnt": "wasn't",
    "arent": "aren't", "werent": "weren't", "cant": "can't", "wont": "won't", "hasnt": "hasn't",
    "havent": "haven't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "couldnt": "couldn't",
}


@lru_cache(maxsize=1)
def english_by_frequency() -> tuple[str, ...]:
    """The 82,765 most frequent English words, commonest first, from the frequency dictionary
    symspellpy ships: a maintained word list that needs no download."""
    text = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text("utf-8")
    counted = [line.split(" ", 1) for line in text.splitlines() if line]
    return tuple(word for word, _ in sorted(counted, key=lambda wc: -int(wc[1])))


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    return frozenset(english_by_frequency())


@dataclass(frozen=True)
class Vocabulary:
    """The words of the searched articles: how each is written there, and its stems."""

    forms: dict[str, str]  # lower-cased word -> how the articles usually write it
    stems: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()  # how each word is written mid-sentence
        seen: set[str] = set()
        for text in texts:
            for match in _WORD_IN_TEXT.finditer(text):
                word = match.group(0).replace("’", "'")
                words = [word, word[:-2]] if word.lower().endswith("'s") else [word]  # "France's": "France" too
                seen.update(w.lower() for w in words)
                # A capital at the start of a sentence says nothing about the word.
                if not _SENTENCE_START.search(text, max(0, match.start() - 3), match.start()):
                    counts.update(words)
        best: dict[str, tuple[int, str]] = {}
        for form, n in counts.items():
            # The lower-case spelling wins unless the word is nearly always capitalised (a name).
            weight = n * (4 if form[0].islower() else 1)
            if form.lower() not in best or weight > best[form.lower()][0]:
                best[form.lower()] = (weight, form)
        # Sorted: the nearest of equally near words is the first, so in the same order in every
        # process (a set's order changes with the hash seed).
        forms = {key: best[key][1] if key in best else key for key in sorted(seen)}
        return cls(forms=forms, stems=frozenset(stem(k) for k in forms))

    def has(self, word: str) -> bool:
        return word.lower() in self.forms

    def has_stem(self, term: str) -> bool:
        return term in self.stems


class Vocabularies:
    """The vocabulary of one article, or of all (None), read once per store generation."""

    def __init__(self, store: Storage, max_items: int = 64) -> None:
        self._store, self._memo = store, Memo[str | None, Vocabulary](max_items)

    def of(self, document_id: str | None) -> Vocabulary:
        store = self._store
        with store.lock:
            return self._memo.get(store.generation(), document_id, lambda: Vocabulary.of(
                store.get_document(d).text for d in ([document_id] if document_id else store.document_ids())))


def correct(question: str, vocabulary: Vocabulary) -> str:
    """The question with each word as the articles would write it."""
    return _Corrector(vocabulary).correct(question)


class _Corrector:
    """One question's reading. Matching a word to the nearest article word reads the whole
    vocabulary (about 0.6 ms a word against 12,700 words), so a question gets at most
    MAX_CORRECTIONS of them, and a word typed twice is matched once: 30 made-up words cost 17
    normal answers before. The words past the budget are kept as typed; a reader's question
    has a typo or two, and one with more is not a question the articles answer anyway."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self._budget = MAX_CORRECTIONS
        self._matched: dict[str, str | None] = {}

    def correct(self, question: str) -> str:
        return _TOKEN.sub(lambda m: self._fix(m.group(0)), question)

    def _fix(self, word: str) -> str:
        vocabulary = self._vocabulary
        lower = word.lower().replace("’", "'")
        if lower in _SHORTHAND and not vocabulary.has(lower):
            return _SHORTHAND[lower]
        if lower in vocabulary.forms:
            return _cased(word, vocabulary.forms[lower])
        possessive = _possessive(lower, vocabulary)
        if possessive is not None:
            return possessive
        if lower in english_words() or len(lower) < 4:
            return word
        form = self._nearest(lower)
        if form is None:
            return word
        return form if word.islower() or form[:1].isupper() else form.capitalize()

    def _nearest(self, lower: str) -> str | None:
        if lower not in self._matched:
            if self._budget <= 0:
                return None
            self._budget -= 1
            self._matched[lower] = _nearest(lower, self._vocabulary)
        return self._matched[lower]


def _cased(word: str, form: str) -> str:
    # A name typed in lower case gets its capitals back; a word the reader capitalised stays as typed.
    return form if word.islower() and form[:1].isupper() else word


def _possessive(lower: str, vocabulary: Vocabulary) -> str | None:
    """"brokenshires" -> "Brokenshire's": a name in the articles plus an s that lost its apostrophe."""
    if len(lower) > 3 and lower.endswith("s") and lower[:-1] in vocabulary.forms:
        form = vocabulary.forms[lower[:-1]]
        if form[:1].isupper():
            return f"{form}'s"
    return None


def _nearest(lower: str, vocabulary: Vocabulary) -> str | None:
    """How the articles write the word closest to `lower`, if one is close enough."""
    limit = 1 if len(lower) < 6 else 2
    found = process.extractOne(lower, vocabulary.forms.keys(), scorer=Levenshtein.distance, score_cutoff=limit)
    return None if found is None else vocabulary.forms[found[0]]
