"""Pauses, on every backend: nobody is admitted until the pause ends; pauses only grow."""

from __future__ import annotations

import asyncio

import pytest

from sleeve.governance.limiter import LimiterBackend


async def test_a_pause_denies_everyone_until_it_ends(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 5, 60.0)
    await limiter.pause(0.2)
    denied, peeked = await limiter.acquire(), await limiter.peek()
    assert (denied.admitted, denied.used, denied.remaining) == (False, 0, 5)
    assert 0.19 < denied.retry_after <= 0.2
    assert not peeked.admitted
    await asyncio.sleep(denied.retry_after)
    assert (await limiter.acquire()).admitted


async def test_a_pause_is_extended_never_shortened(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 5, 60.0)
    await limiter.pause(30.0)
    await limiter.pause(10.0)
    assert (await limiter.acquire()).retry_after == pytest.approx(30.0, abs=0.05)
    await limiter.pause(45.0)
    assert (await limiter.peek()).retry_after == pytest.approx(45.0, abs=0.05)


async def test_a_denial_waits_for_the_later_of_window_and_pause(backend: LimiterBackend) -> None:
    limiter = backend.limiter("upstream", 1, 20.0)
    assert (await limiter.acquire()).admitted
    await limiter.pause(5.0)
    assert (await limiter.acquire()).retry_after == pytest.approx(20.0, abs=0.05)
    await limiter.pause(50.0)
    assert (await limiter.acquire()).retry_after == pytest.approx(50.0, abs=0.05)


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
