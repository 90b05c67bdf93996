"""Client request limits that cost a hit almost nothing: a sliding window *counter*.

Client limits protect the gateway itself (the upstream's limit is protected by the gate
and shared fairly by its turns), so they can be generous, and they run on every request,
cached hits included. The exact sliding-window *log* the upstream gate uses keeps one
entry per admission: at a generous limit (thousands a minute) over many addresses, that
is memory and time the hit path should not pay. A sliding window counter keeps two
numbers per client: the requests of the current fixed window and of the one before,
and estimates the requests of the last ``window`` seconds as

    previous * (part of the previous window still inside the sliding one) + current

(the approximation Cloudflare and others use: exact when requests are even, never more
than ``limit`` too lenient over two windows). Windows are aligned on the wall clock so
that every process of a deployment agrees on them (:mod:`.shared_request_counts`).

:class:`RequestCounts` is the pure core (a clock passed in, no I/O);
:class:`RequestCountsBackend` offers it as a :class:`~.limiter.LimiterBackend`, so the
client-limit middleware is written once for every way of counting.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .limiter import Admission, LimiterBackend, RateLimiter

__all__ = ["CountedLimiter", "Counts", "RequestCounts", "RequestCountsBackend"]


@dataclass(slots=True)
class Counts:
    """One client's counts: ``window``'s index ``bucket`` (``floor(time / window)``), the
    requests counted in it and in the one before. ``shared_*``: what every other process
    had counted when last asked (0 when counting alone); ``unshared``: what this process
    counted since it last told them."""

    window: float
    bucket: int = 0
    current: int = 0
    previous: int = 0
    shared_current: int = 0
    shared_previous: int = 0
    unshared: int = 0
    unshared_previous: int = 0
    paused_until: float = -math.inf

    def roll(self, bucket: int) -> None:
        """Move on to window ``bucket`` (a later one)."""
        if bucket == self.bucket:
            return
        late = bucket == self.bucket + 1
        self.previous = self.current if late else 0
        self.shared_previous = self.shared_current if late else 0
        self.unshared_previous = self.unshared if late else 0
        self.current = self.shared_current = self.unshared = 0
        self.bucket = bucket

    def estimate(self, now: float) -> float:
        elapsed = now / self.window - self.bucket  # part of the current window gone
        previous = self.previous + self.shared_previous
        return previous * (1.0 - elapsed) + self.current + self.shared_current

    def admission(
        self, limit: int, now: float, admitted: bool, estimate: float | None = None
    ) -> Admission:
        """``estimate``: :meth:`estimate` at ``now``, if the caller has it already."""
        if estimate is None:
            estimate = self.estimate(now)
        used = min(limit, math.ceil(estimate - 1e-9))
        start = self.bucket * self.window
        current = self.current + self.shared_current
        if current:
            reset = start + 2 * self.window - now
        elif self.previous + self.shared_previous:
            reset = start + self.window - now
        else:
            reset = 0.0
        retry_after = 0.0 if admitted else self._retry_after(limit, now)
        return Admission(admitted, used, max(0, limit - used), retry_after, max(0.0, reset))

    def _retry_after(self, limit: int, now: float) -> float:
        """Seconds until one more request would be admitted, if no other came."""
        room = limit - 1  # the estimate must be at most this for one more to fit
        window, start = self.window, self.bucket * self.window
        previous = self.previous + self.shared_previous
        current = self.current + self.shared_current
        if current <= room:  # later in this window, as the previous one slides out
            part = 1.0 - (room - current) / previous if previous else 0.0
            at = start + part * window
        else:  # in the next window, as this one slides out
            at = start + window + (1.0 - room / current) * window
        return max(at, self.paused_until) - now


class RequestCounts:
    """The counts of at most ``max_names`` clients, least recently seen forgotten first
    (which lets that one client start afresh)."""

    def __init__(self, *, max_names: int = 100_000) -> None:
        if max_names < 1:
            raise ValueError(f"max_names must be at least 1, not {max_names!r}")
        self._counts: OrderedDict[str, Counts] = OrderedDict()
        self._max_names = max_names

    def counts(self, name: str, window: float, now: float) -> Counts:
        """``name``'s counts, rolled on to ``now``'s window."""
        counts = self._counts.get(name)
        if counts is None or counts.window != window:
            counts = self._counts[name] = Counts(window, bucket=math.floor(now / window))
            if len(self._counts) > self._max_names:
                self._counts.popitem(last=False)
        else:
            self._counts.move_to_end(name)
        counts.roll(math.floor(now / window))
        return counts

    def admit(
        self, name: str, limit: int, window: float, now: float, reserve: int = 0
    ) -> Admission:
        """Count one request of ``name`` if the estimate leaves room under
        ``limit - reserve``; the admission either way."""
        counts = self.counts(name, window, now)
        estimate = counts.estimate(now)
        admitted = counts.paused_until <= now and estimate + 1 <= limit - reserve
        if admitted:
            counts.current += 1
            counts.unshared += 1
            estimate += 1
        return counts.admission(limit, now, admitted, estimate)

    def peek(self, name: str, limit: int, window: float, now: float) -> Admission:
        counts = self.counts(name, window, now)
        fits = counts.paused_until <= now and counts.estimate(now) + 1 <= limit
        return counts.admission(limit, now, fits)

    def get(self, name: str) -> Counts | None:
        """``name``'s counts as they are (not rolled on, not marked as used)."""
        return self._counts.get(name)

    def forget(self, name: str) -> None:
        self._counts.pop(name, None)

    def __len__(self) -> int:
        return len(self._counts)


class RequestCountsBackend(LimiterBackend):
    """Client limits counted in this process (see the module's docstring).

    Holds are not kept (client limits never hold a slot): ``hold`` is ignored and
    :meth:`~.limiter.RateLimiter.release` does nothing.
    """

    def __init__(self, *, max_names: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self.counts = RequestCounts(max_names=max_names)
        self.clock = clock

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        return CountedLimiter(self, name, limit, window)

    def admit_now(self, name: str, limit: int, window: float) -> Admission | None:
        return self._admitted(name, limit, window, 0)

    @property
    def tracked_names(self) -> int:
        return len(self.counts)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    def _admitted(self, name: str, limit: int, window: float, reserve: int) -> Admission:
        """Hook for sharing backends: count one request of ``name``."""
        return self.counts.admit(name, limit, window, self.clock(), reserve)


class CountedLimiter(RateLimiter):
    __slots__ = ("_backend",)

    def __init__(self, backend: RequestCountsBackend, name: str, limit: int, window: float) -> None:
        super().__init__(name, limit, window)
        self._backend = backend

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        return self._backend._admitted(self.name, self.limit, self.window, reserve)

    async def release(self, ticket: str) -> None:
        return None

    async def peek(self, *, reserve: int = 0) -> Admission:
        backend = self._backend
        return backend.counts.peek(self.name, self.limit - reserve, self.window, backend.clock())

    async def pause(self, seconds: float) -> None:
        if seconds > 0:
            backend = self._backend
            now = backend.clock()
            counts = backend.counts.counts(self.name, self.window, now)
            counts.paused_until = max(counts.paused_until, now + seconds)

    async def reset(self) -> None:
        self._backend.counts.forget(self.name)
