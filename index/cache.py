"""Values read from the store and kept until its next write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A dict that belongs to one store generation: emptied when the generation moves on (every
    write bumps it, so nothing stale survives, even when a deleted row's id is reused) and when
    it outgrows `max_items`, so memory stays bounded. Callers hold the store's lock."""

    def __init__(self, max_items: int) -> None:
        self._max = max_items
        self._items: dict[K, V] = {}
        self._generation = -1

    def at(self, generation: int) -> dict[K, V]:
        if generation != self._generation or len(self._items) > self._max:
            self._items, self._generation = {}, generation
        return self._items

    def get(self, generation: int, key: K, read: Callable[[], V]) -> V:
        """The value remembered for `key` in this generation, read (and remembered) if there is none."""
        known = self.at(generation)
        if key not in known:
            known[key] = read()
        return known[key]
