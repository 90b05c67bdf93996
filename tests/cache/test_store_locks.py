"""Locks, on every backend: one holder at a time, for at most ttl, released only by it."""

from __future__ import annotations

import asyncio

from sleeve.cache import CacheStore
from tests.cache.conftest import Backend
from tests.concurrently import gather_all


async def test_a_lock_has_one_holder(store: CacheStore) -> None:
    token = await store.try_lock("fill:/releases/1", ttl=10)
    assert token is not None
    assert await store.try_lock("fill:/releases/1", ttl=10) is None
    assert await store.try_lock("fill:/releases/2", ttl=10) is not None


async def test_a_lock_has_one_holder_across_stores(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    results = await gather_all(
        *(store.try_lock("fill", ttl=10) for store in (first, second) for _ in range(10))
    )
    assert len([token for token in results if token is not None]) == 1


async def test_unlock_frees_the_lock(store: CacheStore) -> None:
    token = await store.try_lock("fill", ttl=10)
    assert token is not None
    assert await store.unlock("fill", token) is True
    assert await store.try_lock("fill", ttl=10) is not None


async def test_only_the_holder_unlocks(store: CacheStore) -> None:
    token = await store.try_lock("fill", ttl=10)
    assert token is not None
    assert await store.unlock("fill", "not-the-token") is False
    assert await store.unlock("other", token) is False
    assert await store.try_lock("fill", ttl=10) is None
    assert await store.unlock("fill", token) is True
    assert await store.unlock("fill", token) is False


async def test_a_lock_expires_after_its_ttl(store: CacheStore) -> None:
    crashed = await store.try_lock("fill", ttl=0.2)
    assert crashed is not None
    await asyncio.sleep(0.25)
    successor = await store.try_lock("fill", ttl=10)
    assert successor is not None
    assert successor != crashed
    assert await store.unlock("fill", crashed) is False
    assert await store.try_lock("fill", ttl=10) is None
    assert await store.unlock("fill", successor) is True


async def test_an_expired_holder_cannot_unlock(store: CacheStore) -> None:
    token = await store.try_lock("fill", ttl=0.1)
    assert token is not None
    await asyncio.sleep(0.15)
    assert await store.unlock("fill", token) is False


async def test_locks_and_entries_do_not_share_names(store: CacheStore) -> None:
    token = await store.try_lock("k", ttl=10)
    assert token is not None
    assert await store.get("k") is None
    assert await store.delete("k") is False
    assert await store.try_lock("k", ttl=10) is None
