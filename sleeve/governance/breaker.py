"""A circuit breaker per upstream: stop calling an upstream that keeps failing, and probe it
before trusting it again.

A state machine of the clock and what callers report, with no I/O and no sleeping::

    CLOSED    --failure_threshold failures in a row-->  OPEN
    OPEN      --open_for has passed, at allow()----->  HALF_OPEN
    HALF_OPEN --a probe succeeds-------------------->  CLOSED
    HALF_OPEN --a probe fails----------------------->  OPEN (the timer starts again)

What counts as a failure is the caller's decision: a 5xx, a timeout or an unreachable
upstream is one; a 404 or any other 4xx is an answer about the request, and a success here.
Each breaker belongs to one event loop, so there is no locking.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(enum.Enum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused until open_for has passed
    HALF_OPEN = "half-open"  # a few probes go through; the first to report decides


class CircuitBreaker:
    """Stops calling an upstream that keeps failing, and probes it before trusting it again.

    Ask :meth:`allow` before each call and report every allowed call (in a ``finally``, so a
    cancelled call reports too). A probe that never reports holds its slot for ``open_for``
    seconds, then is presumed lost and another may go. When :meth:`allow` says no,
    :meth:`retry_after` is the wait to tell the client.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        open_for: float = 30.0,
        half_open_probes: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or half_open_probes < 1 or open_for < 0:
            raise ValueError("failure_threshold and half_open_probes >= 1, open_for >= 0")
        self._failure_threshold = failure_threshold
        self._open_for = open_for
        self._half_open_probes = half_open_probes
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0  # consecutive, while CLOSED
        self._probes = 0  # allowed in the current HALF_OPEN window
        self._since = 0.0  # when OPEN began, or the current HALF_OPEN window
        #: Told each new state (the gate's watch: metrics and logs).
        self.on_change: Callable[[BreakerState], None] | None = None

    @property
    def state(self) -> BreakerState:
        """The state as of the last call; OPEN turns HALF_OPEN only when :meth:`allow` asks."""
        return self._state

    def allow(self) -> bool:
        """Whether a call may go to the upstream now (if so, it must be reported)."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if now - self._since >= self._open_for:
            self._enter(BreakerState.HALF_OPEN, now)
        if self._state is BreakerState.HALF_OPEN and self._probes < self._half_open_probes:
            self._probes += 1
            return True
        return False

    def record_success(self) -> None:
        """The upstream answered. While OPEN this is a call from before it opened, and ignored."""
        if self._state is not BreakerState.OPEN:
            self._enter(BreakerState.CLOSED, self._since)

    def record_failure(self) -> None:
        """The upstream failed. Ignored while OPEN, so late calls do not push the probe back."""
        if self._state is BreakerState.HALF_OPEN:
            self._enter(BreakerState.OPEN, self._clock())
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self._failure_threshold:
                self._enter(BreakerState.OPEN, self._clock())

    def retry_after(self) -> float:
        """Seconds until the next probe may go: 0 unless OPEN (HALF_OPEN waits on a probe)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._since + self._open_for - self._clock())

    def _enter(self, state: BreakerState, since: float) -> None:
        changed = state is not self._state
        self._state = state
        self._since = since
        self._failures = self._probes = 0
        if changed and self.on_change is not None:
            self.on_change(state)
