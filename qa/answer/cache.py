"""A bounded cache of answers to questions asked without conversational context: the same
popular question from many readers is answered once per version of the articles."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

Key = tuple[str, str | None, int, int]  # (question, document_id, top_k, store generation)
V = TypeVar("V")


class AnswerCache(Generic[V]):
    def __init__(self, max_items: int) -> None:
        self._max = max_items
        self._items: OrderedDict[Key, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Key, value: V) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def key_for(question: str, document_id: str | None, top_k: int, generation: int) -> Key:
    # The store generation changes with every write, so a changed article is never served stale.
    return (question.lower(), document_id, top_k, generation)
