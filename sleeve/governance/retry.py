"""When to retry an upstream call, how long to wait first, and how many retries to allow.

Pure decisions over an injected clock and random source; the caller does the sleeping.
Only idempotent calls are retried (every upstream call sleeve makes is a GET).
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RetryBudget", "RetryPolicy", "parse_retry_after", "retry_after_seconds"]

_DELTA_SECONDS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, for idempotent calls.

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter") spreads the
    retries of many clients that failed together, instead of sending them back in waves.
    A server's ``Retry-After`` is a floor on the wait; one longer than ``max_delay`` or than
    the time the caller has left means giving up (:meth:`gives_up_for`), not waiting.
    """

    max_attempts: int = 3  # including the first
    base_delay: float = 0.2
    max_delay: float = 10.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("max_attempts >= 1, base_delay and max_delay >= 0")

    def should_retry(self, attempt: int, *, status: int | None = None, error: bool = False) -> bool:
        """Whether to try again after ``attempt`` (1-based) failed.

        ``error`` is a timeout or an unreachable upstream; ``status`` an upstream answer.
        """
        if attempt >= self.max_attempts:
            return False
        return error or status in self.retry_statuses

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        random: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before the attempt after ``attempt``: a uniformly random share of
        ``min(max_delay, base_delay * 2 ** (attempt - 1))``, but never less than
        ``retry_after``. Ask :meth:`gives_up_for` first: a long ``retry_after`` is not capped.
        """
        # Past 2**64 the ceiling is max_delay anyway; the cap keeps the float finite.
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 64))
        backoff = random() * ceiling
        return backoff if retry_after is None else max(backoff, retry_after)

    def gives_up_for(self, retry_after: float | None, time_left: float) -> bool:
        """Whether the wait a server asked for rules out another attempt.

        It does when it is longer than ``max_delay``, or when it would use up all of the
        ``time_left`` before the caller's deadline, leaving none for the attempt itself.
        """
        wait = retry_after or 0.0
        return wait > self.max_delay or wait >= time_left


class RetryBudget:
    """Retries may add at most ``ratio`` of recent requests (0.2 = 20 %), so that an upstream
    that is failing is not hammered by retries on top of its normal load.

    Finagle's ``RetryBudget`` (Envoy's ``retry_budget`` is the same idea over requests in
    flight): over a sliding ``window`` of seconds, retries may number ``ratio`` times the
    requests, and at least ``min_retries_per_window`` so that a quiet gateway can still
    retry. Record each original request once; retries are not requests here, or retries
    would fund more retries.
    """

    def __init__(
        self,
        *,
        ratio: float = 0.2,
        min_retries_per_window: int = 3,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ratio < 0 or min_retries_per_window < 0 or window <= 0:
            raise ValueError("ratio and min_retries_per_window >= 0, window > 0")
        self._ratio = ratio
        self._min_retries = min_retries_per_window
        self._window = window
        self._clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def record_request(self) -> None:
        """An original request went out (not a retry)."""
        self._requests.append(self._forget_old())

    def try_spend(self) -> bool:
        """Whether a retry may go now; if so it is counted against the budget."""
        now = self._forget_old()
        if len(self._retries) >= max(self._min_retries, self._ratio * len(self._requests)):
            return False
        self._retries.append(now)
        return True

    def _forget_old(self) -> float:
        """Drop what has left the window (so memory stays bounded); return the time now."""
        now = self._clock()
        for times in (self._requests, self._retries):
            while times and times[0] <= now - self._window:
                times.popleft()
        return now


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None if there is no usable value.

    RFC 9110 §10.2.3: either delta-seconds (``1*DIGIT``, so no sign and no fraction) or an
    HTTP-date, in any of the three formats of §5.6.7 that a recipient must accept. A date
    already past means no wait. ``now`` defaults to the current time; naive means UTC.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (_as_utc(when) - _as_utc(now)).total_seconds())


def retry_after_seconds(value: str | None, default: int, *, ceiling: int = 86_400) -> int:
    """The whole seconds to tell a client from an upstream's ``Retry-After``: rounded up,
    at least 1 and at most ``ceiling`` (an upstream's word is not trusted unchecked), or
    ``default`` when it sent no usable value or one already past."""
    seconds = parse_retry_after(value)
    if seconds is None or seconds <= 0:
        return default
    return min(ceiling, max(1, math.ceil(seconds)))


def _as_utc(moment: datetime) -> datetime:
    """HTTP-dates are always GMT, so a date that came without a zone is in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
