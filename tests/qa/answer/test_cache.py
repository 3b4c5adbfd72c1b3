"""The answer cache: bounded, least recently used out first, keyed so a write is never served stale."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from qa.answer.cache import AnswerCache, key_for


def _key(n: int, generation: int = 0) -> tuple[str, str | None, int, int]:
    return key_for(f"question {n}?", None, 3, generation)


@given(st.integers(min_value=0, max_value=8), st.lists(st.integers(min_value=0, max_value=20), max_size=60))
def test_never_holds_more_than_its_bound_and_keeps_the_latest(bound: int, puts: list[int]) -> None:
    cache: AnswerCache[int] = AnswerCache(bound)
    for n in puts:
        cache.put(_key(n), n)
    assert len(cache) <= bound
    latest = list(dict.fromkeys(reversed(puts)))[:bound]  # the most recent distinct keys
    assert len(cache) == len(latest)
    assert all(cache.get(_key(n)) == n for n in latest)


def test_a_get_makes_an_item_recent_again() -> None:
    cache: AnswerCache[str] = AnswerCache(2)
    cache.put(_key(1), "one")
    cache.put(_key(2), "two")
    assert cache.get(_key(1)) == "one"  # now 2 is the least recently used
    cache.put(_key(3), "three")
    assert cache.get(_key(2)) is None and cache.get(_key(1)) == "one" and cache.get(_key(3)) == "three"


def test_putting_a_key_again_replaces_its_value_without_growing() -> None:
    cache: AnswerCache[str] = AnswerCache(3)
    cache.put(_key(1), "old")
    cache.put(_key(1), "new")
    assert len(cache) == 1 and cache.get(_key(1)) == "new"


def test_a_cache_of_size_zero_stores_nothing() -> None:
    cache: AnswerCache[str] = AnswerCache(0)
    cache.put(_key(1), "one")
    assert len(cache) == 0 and cache.get(_key(1)) is None


def test_hits_and_misses_are_counted() -> None:
    cache: AnswerCache[str] = AnswerCache(2)
    assert cache.get(_key(1)) is None
    cache.put(_key(1), "one")
    cache.get(_key(1))
    cache.get(_key(1))
    assert (cache.hits, cache.misses) == (2, 1)


def test_the_key_ignores_case_but_not_the_article_the_depth_or_the_generation() -> None:
    base = key_for("Who Spoke?", "a", 3, 7)
    assert key_for("who spoke?", "a", 3, 7) == base
    assert len({base, key_for("Who spoke?", "b", 3, 7), key_for("Who spoke?", None, 3, 7),
                key_for("Who spoke?", "a", 4, 7), key_for("Who spoke?", "a", 3, 8)}) == 5


def test_a_write_makes_the_old_answer_unreachable() -> None:
    cache: AnswerCache[str] = AnswerCache(4)
    cache.put(_key(1, generation=1), "before the write")
    assert cache.get(_key(1, generation=2)) is None


def test_concurrent_puts_and_gets_keep_the_bound() -> None:
    cache: AnswerCache[int] = AnswerCache(16)
    start = threading.Barrier(4)

    def work(offset: int) -> None:
        start.wait()
        for n in range(500):
            cache.put(_key(offset * 1000 + n), n)
            cache.get(_key(offset * 1000 + n // 2))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 16 and cache.hits + cache.misses == 2000
