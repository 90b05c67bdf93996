"""Admissions, on every backend: up to the limit, then denials that say how long to wait."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from sleeve.governance.limiter import Admission, LimiterBackend, RateLimiter

# Redis times the window on its own clock and answers a round trip later; on one host
# the clocks agree, so a millisecond covers both.
SLACK = 0.001


async def timed_acquire(limiter: RateLimiter, *, reserve: int = 0) -> tuple[float, float]:
    """The monotonic interval within which ``limiter`` admitted a call (asserted)."""
    before = time.monotonic()
    admission = await limiter.acquire(reserve=reserve)
    assert admission.admitted
    return before, time.monotonic()


async def timed_denial(limiter: RateLimiter, *, reserve: int = 0) -> tuple[Admission, float, float]:
    before = time.monotonic()
    admission = await limiter.acquire(reserve=reserve)
    assert not admission.admitted
    return admission, before, time.monotonic()


def assert_waits_for(
    denial: tuple[Admission, float, float], admitted: tuple[float, float], window: float
) -> None:
    """``retry_after`` is when the admission made within ``admitted`` leaves the window."""
    admission, before, after = denial
    earliest, latest = admitted[0] + window - after, admitted[1] + window - before
    assert earliest - SLACK <= admission.retry_after <= latest + SLACK


async def test_admits_up_to_the_limit_then_denies(backend: LimiterBackend) -> None:
    limiter = backend.limiter("api", 3, 60.0)
    answers = [await limiter.acquire() for _ in range(4)]
    assert [(a.admitted, a.used, a.remaining, a.retry_after) for a in answers] == [
        (True, 1, 2, 0.0),
        (True, 2, 1, 0.0),
        (True, 3, 0, 0.0),
        (False, 3, 0, answers[3].retry_after),
    ]
    assert 59 < answers[3].retry_after <= 60  # a second apart: however busy the machine
    assert [a.reset for a in answers[:3]] == [60.0, 60.0, 60.0]
    assert 59 < answers[3].reset <= 60


async def test_retry_after_is_when_the_oldest_leaves_and_then_one_more_fits(
    backend: LimiterBackend,
) -> None:
    """The second admission comes ``gap`` after the oldest, so it is still in the window
    when the oldest has left, however late a busy machine wakes us (by less than ``gap``)."""
    window, gap = 0.6, 0.3
    limiter = backend.limiter("api", 3, window)
    oldest = await timed_acquire(limiter)
    await asyncio.sleep(gap)
    second = await timed_acquire(limiter)
    newest = await timed_acquire(limiter)
    denial = await timed_denial(limiter)
    assert_waits_for(denial, oldest, window)
    admission, before, after = denial
    assert newest[0] + window - after - SLACK <= admission.reset <= newest[1] + window - before
    await asyncio.sleep(admission.retry_after)
    again = await limiter.acquire()
    assert (again.admitted, again.used, again.remaining) == (True, 3, 0)
    assert_waits_for(await timed_denial(limiter), second, window)


async def test_a_reserve_leaves_room_for_others(backend: LimiterBackend) -> None:
    limiter = backend.limiter("api", 5, 60.0)
    for _ in range(3):
        assert (await limiter.acquire(reserve=2)).admitted
    held_back = await limiter.acquire(reserve=2)
    assert (held_back.admitted, held_back.used, held_back.remaining) == (False, 3, 2)
    assert [(await limiter.acquire()).admitted for _ in range(3)] == [True, True, False]


async def test_a_reserve_waits_for_as_many_to_leave_as_it_needs(backend: LimiterBackend) -> None:
    window = 5.0  # nothing waits for it; long, so that nothing leaves it on a busy machine
    limiter = backend.limiter("api", 3, window)
    oldest = await timed_acquire(limiter)
    await asyncio.sleep(0.05)
    second = await timed_acquire(limiter)
    assert_waits_for(await timed_denial(limiter, reserve=1), oldest, window)
    await timed_acquire(limiter)
    assert_waits_for(await timed_denial(limiter, reserve=1), second, window)
    assert_waits_for(await timed_denial(limiter), oldest, window)


async def test_a_reserve_of_the_whole_limit_is_never_admitted(backend: LimiterBackend) -> None:
    limiter = backend.limiter("api", 2, 60.0)
    denied = await limiter.acquire(reserve=2)
    assert (denied.admitted, denied.used, denied.retry_after) == (False, 0, 60.0)
    assert (await limiter.acquire()).admitted
    hint = (await limiter.acquire(reserve=5)).retry_after
    assert 59.0 < hint <= 60.0


async def test_peek_says_what_acquire_would_and_records_nothing(backend: LimiterBackend) -> None:
    limiter = backend.limiter("api", 2, 60.0)
    assert await limiter.peek() == Admission(True, 1, 1, 0.0, 60.0)
    assert await limiter.peek() == Admission(True, 1, 1, 0.0, 60.0)
    assert (await limiter.acquire()).used == 1
    assert (await limiter.peek()).used == 2
    assert not (await limiter.peek(reserve=1)).admitted
    assert (await limiter.acquire()).used == 2
    before = time.monotonic()
    peeked, acquired = await limiter.peek(), await limiter.acquire()
    took = time.monotonic() - before
    assert (peeked.admitted, peeked.used, acquired.admitted, acquired.used) == (False, 2, False, 2)
    # The same wait, less the time between the two calls.
    assert 0 <= peeked.retry_after - acquired.retry_after <= took + SLACK


async def test_peek_skips_admissions_that_left_the_window(backend: LimiterBackend) -> None:
    """The first admission is still live at the second (which therefore keeps it in the
    log) and gone by the peek; each step has 0.2 s to spare on a busy machine."""
    window = 0.5
    limiter = backend.limiter("api", 2, window)
    assert (await limiter.acquire()).used == 1
    await asyncio.sleep(0.3)
    before = time.monotonic()
    second = await limiter.acquire()
    live = (before, time.monotonic())
    assert (second.admitted, second.used) == (True, 2)  # the first is still in the window
    await asyncio.sleep(0.3)
    before = time.monotonic()
    peeked = await limiter.peek(reserve=1)
    after = time.monotonic()
    assert (peeked.admitted, peeked.used) == (False, 1)
    assert_waits_for((peeked, before, after), live, window)


async def test_an_unused_limit_is_empty(backend: LimiterBackend) -> None:
    limiter = backend.limiter("never-used", 5, 60.0)
    await limiter.reset()
    assert await limiter.peek() == Admission(True, 1, 4, 0.0, 60.0)


@pytest.mark.parametrize(
    ("limit", "window"), [(0, 1.0), (-1, 1.0), (1, 0.0), (1, -1.0), (1, math.inf), (1, math.nan)]
)
def test_a_limit_or_window_that_makes_no_sense_is_refused(
    backend: LimiterBackend, limit: int, window: float
) -> None:
    with pytest.raises(ValueError, match=r"limit|window"):
        backend.limiter("api", limit, window)


async def test_a_negative_reserve_or_pause_is_refused(backend: LimiterBackend) -> None:
    limiter = backend.limiter("api", 2, 1.0)
    with pytest.raises(ValueError, match="reserve"):
        await limiter.acquire(reserve=-1)
    with pytest.raises(ValueError, match="reserve"):
        await limiter.peek(reserve=-1)
    with pytest.raises(ValueError, match="pause"):
        await limiter.pause(-1.0)
    assert (await limiter.acquire()).used == 1
