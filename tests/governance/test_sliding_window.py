"""The sliding-window arithmetic, on plain numbers: who fits, who blocks, how long to wait."""

from __future__ import annotations

import math

import pytest

from sleeve.governance.limiter import Admission
from sleeve.governance.sliding_window import (
    MAX_PAUSE,
    admits,
    answer,
    blocking_rank,
    check_reserve,
    pause_length,
)


@pytest.mark.parametrize(
    ("live", "limit", "reserve", "paused", "expected"),
    [
        (0, 1, 0, False, True),
        (9, 10, 0, False, True),
        (10, 10, 0, False, False),
        (7, 10, 3, False, False),
        (6, 10, 3, False, True),
        (0, 10, 0, True, False),
        (0, 1, 1, False, False),
    ],
)
def test_admits(live: int, limit: int, reserve: int, paused: bool, expected: bool) -> None:
    assert admits(live, limit, reserve, paused=paused) is expected


@pytest.mark.parametrize(
    ("live", "limit", "reserve", "rank"),
    [
        (10, 10, 0, 0),  # the oldest must leave
        (9, 10, 0, None),  # room already: the count does not block
        (0, 10, 0, None),
        (7, 10, 3, 0),  # allowance 7: the oldest
        (9, 10, 3, 2),  # allowance 7: three must leave, the third oldest last
        (12, 10, 0, 2),  # more live than the limit (it was lowered): three must leave
        (3, 3, 3, 2),  # reserve of the whole limit: never fits; the newest stands in
        (0, 3, 3, None),
    ],
)
def test_blocking_rank(live: int, limit: int, reserve: int, rank: int | None) -> None:
    assert blocking_rank(live, limit, reserve) == rank


def test_an_admission_counts_itself_and_resets_a_window_later() -> None:
    assert answer(admitted=True, live=3, limit=10, window=60.0, now=100.0, newest=100.0) == (
        Admission(admitted=True, used=3, remaining=7, retry_after=0.0, reset=60.0)
    )


def test_a_denial_waits_for_the_blocking_admission_to_leave() -> None:
    got = answer(
        admitted=False, live=10, limit=10, window=60.0, now=100.0, blocking=50.0, newest=99.0
    )
    assert got == Admission(admitted=False, used=10, remaining=0, retry_after=10.0, reset=59.0)


def test_a_denial_waits_for_the_later_of_the_window_and_the_pause() -> None:
    window_later = answer(
        admitted=False,
        live=10,
        limit=10,
        window=60.0,
        now=100.0,
        blocking=50.0,
        newest=99.0,
        paused_until=105.0,
    )
    pause_later = answer(
        admitted=False,
        live=10,
        limit=10,
        window=60.0,
        now=100.0,
        blocking=50.0,
        newest=99.0,
        paused_until=130.0,
    )
    assert (window_later.retry_after, pause_later.retry_after) == (10.0, 30.0)


def test_a_pause_alone_denies_with_room_left() -> None:
    got = answer(
        admitted=False, live=2, limit=10, window=60.0, now=0.0, newest=-1.0, paused_until=5.0
    )
    assert got == Admission(admitted=False, used=2, remaining=8, retry_after=5.0, reset=59.0)


def test_an_empty_window_resets_now() -> None:
    got = answer(admitted=False, live=0, limit=1, window=60.0, now=0.0, paused_until=1.0)
    assert got.reset == 0.0


def test_remaining_never_goes_below_zero() -> None:
    got = answer(
        admitted=False, live=12, limit=10, window=60.0, now=0.0, blocking=-59.0, newest=-1.0
    )
    assert got.remaining == 0


def test_a_reserve_of_the_whole_limit_gets_a_finite_hint() -> None:
    empty = answer(admitted=False, live=0, limit=1, window=60.0, now=0.0)
    assert empty.retry_after == 60.0


def test_reserve_and_pause_are_checked() -> None:
    check_reserve(0)
    with pytest.raises(ValueError, match="reserve"):
        check_reserve(-1)
    assert pause_length(0) == 0.0
    assert pause_length(1e30) == MAX_PAUSE
    for broken in (-1.0, math.nan, -math.inf):
        with pytest.raises(ValueError, match="pause"):
            pause_length(broken)
