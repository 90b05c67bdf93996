"""Limits through a Redis outage: per process while Redis is away, shared again once it is
back, and a pause asked for meanwhile not forgotten. A real redis-server, killed and
started again on the same port."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from sleeve.governance.fallback import FallbackLimiterBackend
from sleeve.governance.redis_limiter import RedisLimiterBackend
from tests.cache.redis_server import RedisServer


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


def fallback(server: RedisServer) -> FallbackLimiterBackend:
    # Comfortable timeouts: what is under test is the outage, not a slow machine.
    shared = RedisLimiterBackend(
        server.url, namespace="fallback:", connect_timeout=2.0, socket_timeout=2.0
    )
    return FallbackLimiterBackend(shared)


@pytest.fixture
async def backend(redis: RedisServer) -> AsyncIterator[FallbackLimiterBackend]:
    opened = fallback(redis)
    yield opened
    await opened.close()


async def test_while_redis_is_away_the_limit_holds_in_this_process(
    redis: RedisServer, backend: FallbackLimiterBackend
) -> None:
    limiter = backend.limiter("upstream:x", 2, 60)
    assert (await limiter.acquire()).admitted  # counted in Redis
    redis.kill()
    answers = [await limiter.acquire() for _ in range(3)]
    assert [answer.admitted for answer in answers] == [True, True, False]
    assert answers[-1].retry_after > 50  # this process' own window


async def test_a_pause_redis_missed_is_handed_to_it_once_it_is_back(
    redis: RedisServer, backend: FallbackLimiterBackend
) -> None:
    limiter = backend.limiter("upstream:y", 100, 60)
    redis.kill()
    await limiter.pause(30)  # an upstream's Retry-After while Redis is away
    assert not (await limiter.acquire()).admitted  # the local log holds it
    redis.start()  # on the same port
    assert await backend.healthy()  # a probe: the resting connection trusts Redis again
    redis_back = fallback(redis)
    try:
        refused = await limiter.acquire()
        assert not refused.admitted and 25 < refused.retry_after <= 30
        other_process = await redis_back.limiter("upstream:y", 100, 60).acquire()
        assert not other_process.admitted, "the pause is in Redis, for every process"
    finally:
        await redis_back.close()


async def test_the_outage_and_its_end_are_each_logged_once(
    redis: RedisServer, backend: FallbackLimiterBackend, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = backend.limiter("client:z", 1000, 60)
    caplog.set_level(logging.WARNING, "sleeve.governance")
    redis.kill()
    for _ in range(20):
        await limiter.acquire()
    redis.start()  # on the same port
    assert await backend.healthy()
    for _ in range(20):
        await limiter.acquire()
    for logger_name, down, up in [
        ("sleeve.governance", "unavailable", "back"),  # limits: per process, then shared
        ("sleeve.backends", "unavailable", "answers again"),  # the connection itself
    ]:
        said = [r.getMessage() for r in caplog.records if r.name == logger_name]
        assert len(said) == 2, said
        assert down in said[0] and up in said[1]
