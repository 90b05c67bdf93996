"""What only the Redis backend promises: its key layout, and failing fast when Redis does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from redis.asyncio import Redis

from sleeve.backends import StoreUnavailable
from sleeve.cache import CacheStore
from sleeve.cache.redis_store import RedisStore, glob_escape
from tests.cache.answers import answer
from tests.cache.redis_server import COMFORTABLE_TIMEOUTS, RedisServer, free_port
from tests.concurrently import gather_all


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to kill, pause and restart."""
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[Redis]:
    async with Redis.from_url(redis_server.url) as client:
        yield client


def test_glob_escape() -> None:
    assert glob_escape(b"a*b?c[d]e\\f^g-h") == b"a\\*b\\?c\\[d\\]e\\\\f^g-h"


async def test_layout_under_the_namespace(redis_server: RedisServer, raw: Redis) -> None:
    async with RedisStore(redis_server.url, namespace="layout:", **COMFORTABLE_TIMEOUTS) as store:
        await store.put("discogs:/releases/1", answer(keep_for=60))
        await store.try_lock("fill", ttl=10)
        await store.incr("hits", 3)
        assert sorted(await raw.keys("layout:*")) == [
            b"layout:counters",
            b"layout:e:discogs:/releases/1",
            b"layout:l:fill",
        ]
        assert 59_000 < await raw.pttl("layout:e:discogs:/releases/1") <= 60_000
        assert 9_000 < await raw.pttl("layout:l:fill") <= 10_000
        assert await raw.hgetall("layout:counters") == {b"hits": b"3"}
        await store.purge_prefix("")


async def test_namespaces_do_not_see_each_other(redis_server: RedisServer) -> None:
    async with (
        RedisStore(redis_server.url, namespace="one:", **COMFORTABLE_TIMEOUTS) as first,
        RedisStore(redis_server.url, namespace="one:*", **COMFORTABLE_TIMEOUTS) as second,
    ):
        await first.put("k", answer(b"first"))
        await second.put("k", answer(b"second"))
        await second.incr("hits")
        assert await second.purge_prefix("") == 1
        got = await first.get("k")
        assert got is not None
        assert got.body == b"first"
        assert await first.counters() == {}
        await first.purge_prefix("")


async def _fails_fast(call: Callable[[], Awaitable[object]], limit: float = 1.0) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await call()
    assert time.monotonic() - started < limit


def _every_method(store: CacheStore) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: store.get("k"),
        lambda: store.put("k", answer()),
        lambda: store.delete("k"),
        lambda: store.purge_prefix("k"),
        lambda: store.try_lock("fill", ttl=5),
        lambda: store.unlock("fill", "token"),
        lambda: store.incr("hits"),
        lambda: store.counters(),
    ]


async def test_a_dead_redis_fails_fast_and_a_restarted_one_works(own_redis: RedisServer) -> None:
    async with RedisStore(own_redis.url) as store:
        await store.put("k", answer(b"before"))
        own_redis.kill()
        for call in _every_method(store):
            await _fails_fast(call)
        assert await store.healthy() is False
        own_redis.start()
        assert await store.healthy() is True
        assert await store.get("k") is None
        await store.put("k", answer(b"after"))
        got = await store.get("k")
        assert got is not None
        assert got.body == b"after"


async def test_a_stalled_redis_times_out_and_recovers(own_redis: RedisServer) -> None:
    async with RedisStore(own_redis.url, socket_timeout=0.2) as store:
        await store.put("k", answer(b"kept"))
        own_redis.pause()
        try:
            await _fails_fast(lambda: store.get("k"), limit=0.8)
            assert await store.healthy() is False
        finally:
            own_redis.resume()
        # After a failure the connection rests; a health check probes at once.
        assert await store.healthy() is True
        got = await store.get("k")
        assert got is not None
        assert got.body == b"kept"


async def test_no_redis_at_all_is_unavailable_without_leaking_credentials() -> None:
    async with RedisStore(f"redis://sleeve:hunter2@127.0.0.1:{free_port()}/0") as store:
        assert await store.healthy() is False
        with pytest.raises(StoreUnavailable) as raised:
            await store.get("k")
    assert "hunter2" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)


async def test_a_restart_while_idle_costs_no_errors(own_redis: RedisServer) -> None:
    """Pooled connections Redis closed while nobody used them are replaced, not failed."""
    async with RedisStore(own_redis.url) as store:
        await gather_all(*(store.put(f"k/{index}", answer()) for index in range(20)))
        own_redis.kill()
        own_redis.start()
        got = await gather_all(*(store.get(f"k/{index}") for index in range(20)))
    assert got == [None] * 20


async def test_after_a_failure_the_connection_rests_and_costs_nothing(
    own_redis: RedisServer,
) -> None:
    """A stalled Redis would cost every call a socket timeout; after the first one, calls
    fail at once for the rest, whatever their number (issue 11, item 11)."""
    async with RedisStore(own_redis.url, socket_timeout=0.3) as store:
        await store.put("k", answer(b"kept"))
        own_redis.pause()
        try:
            await _fails_fast(lambda: store.get("k"), limit=1.0)  # pays the timeout once
            started = time.monotonic()
            for _ in range(50):
                with pytest.raises(StoreUnavailable, match="resting"):
                    await store.get("k")
            assert time.monotonic() - started < 0.3 * 5  # not 50 timeouts: none
        finally:
            own_redis.resume()
        assert await store.healthy() is True
        got = await store.get("k")
        assert got is not None and got.body == b"kept"
