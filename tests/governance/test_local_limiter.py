"""What only the local backend promises: bounded memory however many names come and go."""

from __future__ import annotations

import asyncio

import pytest

from sleeve.governance.local_limiter import LocalLimiterBackend

NAMES = 200_000


async def test_many_live_names_stay_within_max_names() -> None:
    backend = LocalLimiterBackend()
    most = 0
    for index in range(NAMES):
        await backend.limiter(f"client:{index}", 1, 60.0).acquire()
        if index % 1000 == 0:
            most = max(most, backend.tracked_names)
    assert most <= 100_000
    assert backend.tracked_names == 100_000
    newest = await backend.limiter(f"client:{NAMES - 1}", 1, 60.0).peek()
    forgotten = await backend.limiter("client:0", 1, 60.0).peek()
    assert (newest.admitted, forgotten.admitted) == (False, True)


async def test_names_whose_window_emptied_are_dropped() -> None:
    backend = LocalLimiterBackend()
    for index in range(NAMES):
        await backend.limiter(f"client:{index}", 1, 0.002).acquire()
    assert backend.tracked_names < NAMES // 10
    await asyncio.sleep(0.005)
    busy = backend.limiter("busy", 1_000_000, 60.0)
    while backend.tracked_names > 1:
        await busy.acquire()
    assert (await busy.peek()).used > 1


async def test_the_least_recently_used_name_goes_first() -> None:
    backend = LocalLimiterBackend(max_names=2)
    first, second, third = (backend.limiter(name, 1, 60.0) for name in ("a", "b", "c"))
    await first.acquire()
    await second.acquire()
    await first.pause(1.0)
    await third.acquire()
    assert backend.tracked_names == 2
    assert [(await limiter.peek()).admitted for limiter in (first, second, third)] == [
        False,
        True,
        False,
    ]


async def test_a_paused_name_is_kept_until_its_pause_ends() -> None:
    backend = LocalLimiterBackend()
    paused = backend.limiter("upstream", 1, 0.001)
    await paused.pause(60.0)
    await asyncio.sleep(0.005)
    for index in range(100):
        await backend.limiter(f"client:{index}", 1, 0.001).acquire()
    assert not (await paused.peek()).admitted


async def test_peek_and_reset_add_no_names() -> None:
    backend = LocalLimiterBackend()
    limiter = backend.limiter("api", 1, 60.0)
    await limiter.peek()
    await limiter.reset()
    assert backend.tracked_names == 0
    await limiter.acquire()
    await limiter.reset()
    assert backend.tracked_names == 0


async def test_it_is_always_healthy_and_forgets_on_close() -> None:
    backend = LocalLimiterBackend()
    await backend.limiter("api", 1, 60.0).acquire()
    assert await backend.healthy()
    await backend.close()
    assert backend.tracked_names == 0


def test_max_names_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_names"):
        LocalLimiterBackend(max_names=0)
