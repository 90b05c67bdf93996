"""Pauses, on every backend: nobody is admitted until the pause ends; pauses only grow."""

from __future__ import annotations

import asyncio
import time

from sleeve.governance.limiter import LimiterBackend


async def test_a_pause_denies_everyone_until_it_ends(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 5, 60.0)
    before = time.monotonic()
    await limiter.pause(0.2)
    denied, peeked = await limiter.acquire(), await limiter.peek()
    took = time.monotonic() - before
    assert (denied.admitted, denied.used, denied.remaining) == (False, 0, 5)
    # The rest of the pause: 0.2 s less however long the two calls took (a busy machine
    # may take a while), and a millisecond for Redis's clock.
    assert 0.2 - took - 0.001 <= denied.retry_after <= 0.2
    assert not peeked.admitted
    await asyncio.sleep(denied.retry_after)
    assert (await limiter.acquire()).admitted


async def test_a_pause_is_extended_never_shortened(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 5, 60.0)
    await limiter.pause(30.0)
    await limiter.pause(10.0)
    # Seconds apart, so that the time the calls take on a busy machine does not matter.
    assert 29 < (await limiter.acquire()).retry_after <= 30
    await limiter.pause(45.0)
    assert 44 < (await limiter.peek()).retry_after <= 45


async def test_a_denial_waits_for_the_later_of_window_and_pause(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 1, 20.0)
    assert (await limiter.acquire()).admitted
    await limiter.pause(5.0)
    assert 19 < (await limiter.acquire()).retry_after <= 20
    await limiter.pause(50.0)
    assert 49 < (await limiter.acquire()).retry_after <= 50


async def test_a_zero_pause_changes_nothing(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 1, 60.0)
    await limiter.pause(0)
    assert (await limiter.acquire()).admitted


async def test_reset_forgets_admissions_and_pause(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 1, 60.0)
    assert (await limiter.acquire()).admitted
    await limiter.pause(60.0)
    await limiter.reset()
    admitted = await limiter.acquire()
    assert (admitted.admitted, admitted.used) == (True, 1)
