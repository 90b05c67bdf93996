"""The circuit breaker's state machine, transition by transition, on an injected clock."""

from __future__ import annotations

import pytest

from sleeve.governance.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def opened(clock: FakeClock, *, half_open_probes: int = 1) -> CircuitBreaker:
    """A breaker that has just opened at ``clock.now`` (threshold 3, open for 30 s)."""
    breaker = CircuitBreaker(
        failure_threshold=3, open_for=30, half_open_probes=half_open_probes, clock=clock
    )
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    return breaker


def half_open(clock: FakeClock, *, half_open_probes: int = 1) -> CircuitBreaker:
    """A breaker whose open period has passed; nothing has been allowed through yet."""
    breaker = opened(clock, half_open_probes=half_open_probes)
    clock.now += 30
    return breaker


# CLOSED


def test_a_new_breaker_is_closed_and_lets_calls_through() -> None:
    breaker = CircuitBreaker(clock=FakeClock())
    assert breaker.state is BreakerState.CLOSED
    assert all(breaker.allow() for _ in range(100))
    assert breaker.retry_after() == 0


def test_fewer_failures_than_the_threshold_keep_it_closed() -> None:
    breaker = CircuitBreaker(failure_threshold=5, clock=FakeClock())
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeClock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_a_threshold_of_one_opens_on_the_first_failure() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


# CLOSED -> OPEN


def test_threshold_consecutive_failures_open_it_and_calls_are_refused() -> None:
    breaker = opened(FakeClock())
    assert not breaker.allow()
    assert breaker.retry_after() == 30


@pytest.mark.parametrize(("elapsed", "retry_after"), [(0, 30), (10, 20), (29.5, 0.5)])
def test_open_refuses_until_open_for_has_passed(elapsed: float, retry_after: float) -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now += elapsed
    assert not breaker.allow()
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after() == pytest.approx(retry_after)


def test_retry_after_does_not_go_below_zero_while_nobody_asks() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now += 45
    assert breaker.state is BreakerState.OPEN  # it turns HALF_OPEN only when allow() asks
    assert breaker.retry_after() == 0


def test_late_calls_reporting_while_open_change_nothing() -> None:
    """Calls allowed before it opened finish while it is open: they neither close it nor
    push the next probe back."""
    clock = FakeClock()
    breaker = opened(clock)
    clock.now += 10
    breaker.record_failure()
    breaker.record_success()
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after() == 20


# OPEN -> HALF_OPEN


def test_once_open_for_has_passed_the_next_call_is_a_probe() -> None:
    clock = FakeClock()
    breaker = half_open(clock)
    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.retry_after() == 0


def test_half_open_allows_one_probe_by_default() -> None:
    breaker = half_open(FakeClock())
    assert breaker.allow()
    assert not breaker.allow()
    assert not breaker.allow()
    assert breaker.retry_after() == 0


def test_half_open_allows_up_to_half_open_probes_at_once() -> None:
    breaker = half_open(FakeClock(), half_open_probes=3)
    assert [breaker.allow() for _ in range(5)] == [True, True, True, False, False]


def test_a_probe_that_never_reports_frees_its_slot_after_open_for() -> None:
    """A cancelled probe must not leave the breaker refusing everything for ever."""
    clock = FakeClock()
    breaker = half_open(clock)
    assert breaker.allow()
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    assert not breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN


# HALF_OPEN -> CLOSED


def test_a_probe_that_succeeds_closes_it() -> None:
    breaker = half_open(FakeClock())
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert all(breaker.allow() for _ in range(10))
    assert breaker.retry_after() == 0


def test_closing_starts_the_failure_count_afresh() -> None:
    breaker = half_open(FakeClock())
    assert breaker.allow()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_with_several_probes_the_first_success_decides() -> None:
    breaker = half_open(FakeClock(), half_open_probes=2)
    assert breaker.allow()
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()  # the other probe, now an ordinary call
    assert breaker.state is BreakerState.CLOSED


# HALF_OPEN -> OPEN


def test_a_probe_that_fails_opens_it_again_with_a_fresh_timer() -> None:
    clock = FakeClock()
    breaker = half_open(clock)
    assert breaker.allow()
    clock.now += 5
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after() == 30
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN


def test_with_several_probes_the_first_failure_decides() -> None:
    breaker = half_open(FakeClock(), half_open_probes=2)
    assert breaker.allow()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    breaker.record_success()  # the other probe, too late
    assert breaker.state is BreakerState.OPEN


def test_a_reopened_breaker_gets_fresh_probe_slots() -> None:
    clock = FakeClock()
    breaker = half_open(clock, half_open_probes=2)
    assert breaker.allow()
    assert breaker.allow()
    breaker.record_failure()
    clock.now += 30
    assert [breaker.allow() for _ in range(3)] == [True, True, False]


# Configuration


@pytest.mark.parametrize(
    "settings",
    [{"failure_threshold": 0}, {"half_open_probes": 0}, {"open_for": -1}],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**settings)  # type: ignore[arg-type]
