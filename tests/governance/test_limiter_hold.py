"""Held slots, on every backend: a slot taken for a call counts from when the call is
over, so no window the upstream sees can hold more than the limit (issue 11, item 10).

Windows here are half a second: long enough that nothing leaves one by accident on a
busy machine, short enough to wait out. Assertions are on what is admitted, in order.
"""

from __future__ import annotations

import asyncio

from sleeve.governance.limiter import LimiterBackend

WINDOW = 0.5


async def test_a_held_slot_counts_until_released_then_from_its_release(
    backend: LimiterBackend,
) -> None:
    limiter = backend.limiter("hold:released", 1, WINDOW)
    held = await limiter.acquire(hold=30)
    assert held.admitted and held.ticket
    await asyncio.sleep(WINDOW * 1.5)  # a slot not held would have left the window
    assert not (await limiter.acquire()).admitted, "an in-flight call holds its slot"
    await limiter.release(held.ticket)  # the answer came back: it counts from now
    assert not (await limiter.acquire()).admitted
    await asyncio.sleep(WINDOW * 1.5)
    assert (await limiter.acquire()).admitted


async def test_a_denial_by_a_held_slot_says_a_window_not_the_hold(
    backend: LimiterBackend,
) -> None:
    """The call may end any moment: the wait to try again is a window, not hold + window."""
    limiter = backend.limiter("hold:estimate", 1, WINDOW)
    assert (await limiter.acquire(hold=30)).admitted
    denied = await limiter.acquire()
    assert not denied.admitted and 0 < denied.retry_after <= WINDOW + 0.01


async def test_a_holder_that_never_releases_frees_its_slot_after_hold_and_window(
    backend: LimiterBackend,
) -> None:
    limiter = backend.limiter("hold:crashed", 1, WINDOW)
    assert (await limiter.acquire(hold=0.3)).admitted  # and then it crashed
    await asyncio.sleep(0.3 + WINDOW * 1.5)
    assert (await limiter.acquire()).admitted


async def test_releasing_twice_or_late_changes_nothing(backend: LimiterBackend) -> None:
    limiter = backend.limiter("hold:twice", 2, WINDOW)
    first = await limiter.acquire(hold=30)
    assert first.ticket
    await limiter.release(first.ticket)
    await limiter.release(first.ticket)
    assert (await limiter.acquire()).admitted
    assert not (await limiter.acquire()).admitted
    await asyncio.sleep(WINDOW * 1.5)
    await limiter.release(first.ticket)  # long gone from the window: not brought back
    assert (await limiter.acquire()).admitted


async def test_an_unheld_admission_has_no_ticket(backend: LimiterBackend) -> None:
    assert (await backend.limiter("hold:none", 5, WINDOW).acquire()).ticket is None
