"""Counters, on every backend: exact sums, shared by every store on the same data."""

from __future__ import annotations

from sleeve.cache import CacheStore
from tests.cache.conftest import Backend
from tests.concurrently import gather_all


async def test_counters_start_empty(store: CacheStore) -> None:
    assert await store.counters() == {}


async def test_incr_adds(store: CacheStore) -> None:
    await store.incr("cache.hit")
    await store.incr("cache.hit")
    await store.incr("cache.miss", 5)
    await store.incr("cache.miss", -2)
    assert await store.counters() == {"cache.hit": 2, "cache.miss": 3}


async def test_counters_by_prefix(store: CacheStore) -> None:
    for name in ["cache.hit", "cache.miss", "cachet", "upstream.discogs.200", "ü.x", "*x"]:
        await store.incr(name)
    assert await store.counters("cache.") == {"cache.hit": 1, "cache.miss": 1}
    assert await store.counters("ü") == {"ü.x": 1}
    assert await store.counters("*") == {"*x": 1}
    assert await store.counters("nothing") == {}


async def test_counters_are_shared_between_stores(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    await gather_all(*(store.incr("cache.hit") for store in (first, second) for _ in range(50)))
    await second.incr("cache.miss", 7)
    assert await first.counters() == {"cache.hit": 100, "cache.miss": 7}
    assert await second.counters() == await first.counters()
