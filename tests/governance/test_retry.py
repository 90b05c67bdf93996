"""Retry decisions: which failures are retried, how long to wait, when to give up, and the
budget that keeps retries from piling onto a failing upstream. Clock and random injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sleeve.governance.retry import RetryBudget, RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=10.0)
ALMOST_ONE = 1 - 1e-9  # random.random() is in [0, 1)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# What is retried


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limits_and_server_errors_are_retried(status: int) -> None:
    assert POLICY.should_retry(1, status=status)


@pytest.mark.parametrize("status", [200, 304, 400, 401, 404, 422, 501, None])
def test_answers_about_the_request_are_not_retried(status: int | None) -> None:
    assert not POLICY.should_retry(1, status=status)


def test_timeouts_and_an_unreachable_upstream_are_retried() -> None:
    assert POLICY.should_retry(1, error=True)


def test_the_statuses_retried_can_be_chosen() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({503}))
    assert policy.should_retry(1, status=503)
    assert not policy.should_retry(1, status=500)


# When attempts run out


@pytest.mark.parametrize(("attempt", "retried"), [(1, True), (2, True), (3, False), (4, False)])
def test_max_attempts_counts_the_first_attempt(attempt: int, retried: bool) -> None:
    assert POLICY.should_retry(attempt, error=True) is retried
    assert POLICY.should_retry(attempt, status=503) is retried


def test_one_attempt_means_no_retries() -> None:
    assert not RetryPolicy(max_attempts=1).should_retry(1, error=True)


# How long to wait: full jitter


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.2), (2, 0.4), (3, 0.8), (6, 6.4)])
def test_the_ceiling_doubles_with_each_attempt(attempt: int, ceiling: float) -> None:
    policy = RetryPolicy(max_attempts=10)
    assert policy.delay(attempt, random=lambda: 0.0) == 0.0
    assert policy.delay(attempt, random=lambda: 0.5) == pytest.approx(ceiling / 2)
    assert policy.delay(attempt, random=lambda: ALMOST_ONE) == pytest.approx(ceiling)
    assert policy.delay(attempt, random=lambda: ALMOST_ONE) < ceiling


@pytest.mark.parametrize("attempt", [7, 20, 10_000])
def test_the_ceiling_stops_at_max_delay(attempt: int) -> None:
    delay = POLICY.delay(attempt, random=lambda: ALMOST_ONE)
    assert delay == pytest.approx(10.0)
    assert delay < 10.0


def test_the_wait_is_random_by_default_and_within_bounds() -> None:
    delays = [POLICY.delay(3) for _ in range(200)]
    assert all(0 <= delay < 0.8 for delay in delays)
    assert len(set(delays)) > 1


# How long to wait: a server's Retry-After


def test_retry_after_wins_over_a_shorter_backoff() -> None:
    assert POLICY.delay(1, retry_after=5.0, random=lambda: ALMOST_ONE) == 5.0


def test_a_longer_backoff_wins_over_a_short_retry_after() -> None:
    delay = POLICY.delay(3, retry_after=0.1, random=lambda: ALMOST_ONE)
    assert delay == pytest.approx(0.8)


def test_retry_after_is_not_capped_at_max_delay() -> None:
    """Waiting less than asked is pointless: gives_up_for decides instead."""
    assert POLICY.delay(1, retry_after=60.0, random=lambda: 0.0) == 60.0


# When to give up rather than wait


@pytest.mark.parametrize(
    ("retry_after", "time_left", "gives_up"),
    [
        (None, 5.0, False),
        (2.0, 5.0, False),
        (10.0, 30.0, False),  # exactly max_delay
        (5.0, 5.0, True),  # no time left for the attempt itself
        (6.0, 5.0, True),
        (10.5, 60.0, True),  # longer than max_delay
        (None, 0.0, True),
        (None, -1.0, True),
    ],
)
def test_gives_up_when_the_wait_asked_for_does_not_fit(
    retry_after: float | None, time_left: float, gives_up: bool
) -> None:
    assert POLICY.gives_up_for(retry_after, time_left) is gives_up


@pytest.mark.parametrize(
    "settings", [{"max_attempts": 0}, {"base_delay": -0.1}, {"max_delay": -1.0}]
)
def test_policies_that_cannot_work_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**settings)  # type: ignore[arg-type]


# The retry budget


def test_a_quiet_gateway_may_still_retry_min_retries_per_window() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_window=3, clock=FakeClock())
    assert [budget.try_spend() for _ in range(4)] == [True, True, True, False]


def test_the_floor_applies_while_the_ratio_allows_fewer() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_window=3, clock=FakeClock())
    for _ in range(10):  # 20 % of 10 is 2
        budget.record_request()
    assert [budget.try_spend() for _ in range(4)] == [True, True, True, False]


def test_retries_may_add_ratio_of_recent_requests() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_window=3, clock=FakeClock())
    for _ in range(100):
        budget.record_request()
    assert sum(budget.try_spend() for _ in range(50)) == 20


def test_a_refused_retry_is_not_counted() -> None:
    budget = RetryBudget(ratio=0.2, min_retries_per_window=0, clock=FakeClock())
    assert not budget.try_spend()
    for _ in range(5):
        budget.record_request()
    assert budget.try_spend()
    assert not budget.try_spend()


def test_retries_and_requests_leave_the_budget_as_the_window_slides() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.2, min_retries_per_window=3, window=10, clock=clock)
    for _ in range(100):
        budget.record_request()
    assert sum(budget.try_spend() for _ in range(30)) == 20
    clock.now += 9.9
    assert not budget.try_spend()
    clock.now += 0.1  # everything above is now 10 s old: only the floor is left
    assert [budget.try_spend() for _ in range(4)] == [True, True, True, False]


def test_the_window_slides_rather_than_resetting() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.2, min_retries_per_window=0, window=10, clock=clock)
    for _ in range(50):
        budget.record_request()
    clock.now += 5
    for _ in range(50):
        budget.record_request()
    assert sum(budget.try_spend() for _ in range(30)) == 20
    clock.now += 5  # the first 50 requests have left; 20 retries still count against 10
    assert not budget.try_spend()
    for _ in range(50):
        budget.record_request()  # 100 requests in the window again: 20 allowed, 20 spent
    assert not budget.try_spend()
    clock.now += 5  # the retries have left; 50 requests remain
    assert sum(budget.try_spend() for _ in range(30)) == 10


@pytest.mark.parametrize(
    "settings", [{"ratio": -0.1}, {"min_retries_per_window": -1}, {"window": 0}]
)
def test_budgets_that_cannot_work_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryBudget(**settings)  # type: ignore[arg-type]


# Retry-After (RFC 9110 §10.2.3)

NOW = datetime(1994, 11, 6, 8, 48, 37, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), ("0", 0.0), (" 7 ", 7.0)])
def test_retry_after_in_delta_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate, the preferred format
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850 format
        "Sun Nov  6 08:49:37 1994",  # obsolete asctime format, which has no zone
    ],
)
def test_retry_after_as_an_http_date(value: str) -> None:
    assert parse_retry_after(value, NOW) == 60.0


def test_an_http_date_already_past_means_no_wait() -> None:
    assert parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", NOW) == 0.0


def test_a_naive_now_is_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", naive) == 60.0


def test_now_defaults_to_the_current_time() -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    seconds = parse_retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert seconds is not None
    assert 3500 < seconds <= 3600


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "soon", "-5", "+5", "1.5", "5s", "1e3", "²", "Sun, 06 Nov 1994 25:00:00 GMT"],
)
def test_garbage_and_negative_values_are_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None
