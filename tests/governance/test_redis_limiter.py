"""What only the Redis backend promises: its key layout, Redis's clock, and failing fast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import cast

import pytest
from redis.asyncio import Redis

from sleeve.backends import StoreUnavailable
from sleeve.governance.limiter import RateLimiter
from sleeve.governance.redis_limiter import RedisLimiterBackend
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


async def redis_now_us(raw: Redis) -> int:
    seconds, micros = await raw.time()
    return int(seconds) * 1_000_000 + int(micros)


async def test_layout_under_the_namespace(redis_server: RedisServer, raw: Redis) -> None:
    async with RedisLimiterBackend(
        redis_server.url, namespace="layout:", **COMFORTABLE_TIMEOUTS
    ) as backend:
        limiter = backend.limiter("upstream:discogs", 2, 60.0)
        before = await redis_now_us(raw)
        await limiter.acquire()
        await limiter.acquire()
        await limiter.pause(30.0)
        after = await redis_now_us(raw)
        await check_layout(raw, before, after)
        await limiter.reset()
    assert await raw.keys("layout:*") == []


async def check_layout(raw: Redis, before: int, after: int) -> None:
    """Two admissions and a 30 s pause, made between Redis times ``before`` and ``after``."""
    assert sorted(await raw.keys("layout:*")) == [
        b"layout:rl:upstream:discogs",
        b"layout:rlp:upstream:discogs",
    ]
    log = cast(
        list[tuple[bytes, float]],
        await raw.zrange("layout:rl:upstream:discogs", 0, -1, withscores=True),
    )
    assert len({member for member, _ in log}) == 2
    for member, score in log:
        assert before <= score <= after
        assert member.startswith(b"%d:" % score)
    assert 59_000 < await raw.pttl("layout:rl:upstream:discogs") <= 60_000
    pause_end = int(cast(bytes, await raw.get("layout:rlp:upstream:discogs")))
    assert before + 30_000_000 <= pause_end <= after + 30_000_000
    assert 29_000 < await raw.pttl("layout:rlp:upstream:discogs") <= 30_000


async def test_denials_and_peeks_write_nothing(redis_server: RedisServer, raw: Redis) -> None:
    async with RedisLimiterBackend(
        redis_server.url, namespace="quiet:", **COMFORTABLE_TIMEOUTS
    ) as backend:
        limiter = backend.limiter("api", 1, 60.0)
        await limiter.peek()
        assert await raw.keys("quiet:*") == []
        await limiter.acquire()
        ttl = await raw.pttl("quiet:rl:api")
        await asyncio.sleep(0.01)
        await limiter.acquire()
        await limiter.peek()
        assert await raw.zcard("quiet:rl:api") == 1
        assert await raw.pttl("quiet:rl:api") < ttl
        await limiter.reset()


async def test_the_window_runs_on_redis_time_not_the_callers(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hosts whose clocks disagree by an hour still share one window."""
    async with RedisLimiterBackend(
        redis_server.url, namespace="clock:", **COMFORTABLE_TIMEOUTS
    ) as backend:
        limiter = backend.limiter("api", 1, 0.2)
        assert (await limiter.acquire()).admitted
        real_time = time.time
        monkeypatch.setattr(time, "time", lambda: real_time() + 3600)
        denied = await limiter.acquire()
        # On the caller's clock the first admission would be an hour old, long gone.
        assert not denied.admitted
        assert 0 < denied.retry_after <= 0.2
        await asyncio.sleep(denied.retry_after)
        assert (await limiter.acquire()).admitted
        await limiter.reset()


async def test_namespaces_do_not_see_each_other(redis_server: RedisServer) -> None:
    async with (
        RedisLimiterBackend(redis_server.url, namespace="one:", **COMFORTABLE_TIMEOUTS) as first,
        RedisLimiterBackend(redis_server.url, namespace="one:*", **COMFORTABLE_TIMEOUTS) as second,
    ):
        assert (await first.limiter("api", 1, 60.0).acquire()).admitted
        assert (await second.limiter("api", 1, 60.0).acquire()).admitted
        for backend in (first, second):
            await backend.limiter("api", 1, 60.0).reset()


async def test_a_burst_beyond_the_pool_waits_for_connections(redis_server: RedisServer) -> None:
    """300 calls through 4 connections: each waits its turn (within ``connect_timeout``,
    here a comfortable one) instead of failing with "too many connections"."""
    async with RedisLimiterBackend(
        redis_server.url, namespace="burst:", max_connections=4, **COMFORTABLE_TIMEOUTS
    ) as backend:
        limiter = backend.limiter("api", 100, 60.0)
        answers = await gather_all(*(limiter.acquire() for _ in range(300)))
        await limiter.reset()
    assert sorted(a.used for a in answers if a.admitted) == list(range(1, 101))


async def _fails_fast(call: Callable[[], Awaitable[object]], limit: float = 1.0) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await call()
    assert time.monotonic() - started < limit


def _every_method(limiter: RateLimiter) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: limiter.acquire(),
        lambda: limiter.acquire(reserve=1),
        lambda: limiter.peek(),
        lambda: limiter.pause(5.0),
        lambda: limiter.reset(),
    ]


async def test_a_dead_redis_fails_fast_and_a_restarted_one_works(own_redis: RedisServer) -> None:
    async with RedisLimiterBackend(own_redis.url) as backend:
        limiter = backend.limiter("api", 1, 60.0)
        assert (await limiter.acquire()).admitted
        own_redis.kill()
        for call in _every_method(limiter):
            await _fails_fast(call)
        assert await backend.healthy() is False
        own_redis.start()
        assert await backend.healthy() is True
        assert (await limiter.acquire()).admitted  # a restart without persistence forgets
        assert not (await limiter.acquire()).admitted


async def test_a_stalled_redis_times_out_and_recovers(own_redis: RedisServer) -> None:
    async with RedisLimiterBackend(own_redis.url, socket_timeout=0.2) as backend:
        limiter = backend.limiter("api", 2, 60.0)
        assert (await limiter.acquire()).admitted
        own_redis.pause()
        try:
            await _fails_fast(lambda: limiter.acquire(), limit=0.8)
            assert await backend.healthy() is False
        finally:
            own_redis.resume()
        assert await backend.healthy() is True  # after a failure it rests; this probes
        assert (await limiter.acquire()).used == 2


async def test_no_redis_at_all_is_unavailable_without_leaking_credentials() -> None:
    async with RedisLimiterBackend(f"redis://sleeve:hunter2@127.0.0.1:{free_port()}/0") as backend:
        assert await backend.healthy() is False
        with pytest.raises(StoreUnavailable) as raised:
            await backend.limiter("api", 1, 60.0).acquire()
    assert "hunter2" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)
