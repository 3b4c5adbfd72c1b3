"""Document frequencies remembered until the next write: one lookup per new word, not per question."""

from __future__ import annotations

from collections.abc import Callable

from index.cache import Memo

_TOTAL = ""  # not a word: where the sentence count is kept
Read = Callable[[list[str]], tuple[dict[str, int], int]]


class Frequencies:
    """A backend's `document_frequencies`, memoised per store generation. Callers hold the store's lock."""

    def __init__(self, max_words: int = 100_000) -> None:
        self._known: Memo[str, int] = Memo(max_words)

    def get(self, generation: int, words: list[str], read: Read) -> tuple[dict[str, int], int]:
        known = self._known.at(generation)
        missing = [w for w in words if w not in known]
        if missing or _TOTAL not in known:
            counts, total = read(missing)
            known.update(counts)
            known[_TOTAL] = total
        return {w: known[w] for w in words}, known[_TOTAL]
