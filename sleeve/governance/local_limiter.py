"""Rate limits kept in this process: exact here, blind to every other process.

Right for one worker, and as the fallback while Redis is away. With N processes each
keeps its own count, so together they may admit N times the limit.

Each name keeps its admissions, sorted by the time they count from (``time.monotonic``;
a held slot counts from ``now + hold`` until released, then from its release), never more
than its ``limit``. Memory stays bounded when names are many and short-lived (one per client
address): names are kept in least-recently-used order, every call drops up to
``_SWEEP`` idle ones (empty window, no pause) from the old end, and past ``max_names`` the
least recently used name is forgotten even if its window is not empty, which lets that
one name start afresh.

One backend belongs to one event loop (no locks): no method awaits anything, so each
call is atomic with respect to other tasks.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections import OrderedDict

from .limiter import Admission, LimiterBackend, RateLimiter
from .sliding_window import admits, answer, blocking_rank, check_reserve, pause_length

__all__ = ["LocalLimiterBackend"]

# Several idle names go per call, so they cannot pile up while new names arrive one per
# call; a bounded number, so no single call stalls on a long sweep.
_SWEEP = 32


class _Log:
    __slots__ = ("paused_until", "times", "window")

    def __init__(self, window: float) -> None:
        self.times: list[tuple[float, int]] = []  # (counts from, serial), sorted
        self.window = window
        self.paused_until = -math.inf

    def prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.times, (now - self.window, math.inf))
        if cut:
            del self.times[:cut]

    def idle(self, now: float) -> bool:
        emptied = not self.times or self.times[-1][0] <= now - self.window
        return emptied and self.paused_until <= now

    def release(self, serial: int, now: float) -> None:
        """The held admission ``serial`` counts from ``now`` (if it is still here)."""
        for index, (counts_from, held) in enumerate(self.times):
            if held == serial:
                if counts_from > now:
                    del self.times[index]
                    bisect.insort(self.times, (now, serial))
                return


class LocalLimiterBackend(LimiterBackend):
    """:class:`LimiterBackend` in this process's memory, for at most ``max_names`` names."""

    def __init__(self, *, max_names: int = 100_000) -> None:
        if max_names < 1:
            raise ValueError(f"max_names must be at least 1, not {max_names!r}")
        self._logs: OrderedDict[str, _Log] = OrderedDict()
        self._max_names = max_names
        self._serials = itertools.count()

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        return _LocalLimiter(self, name, limit, window)

    @property
    def tracked_names(self) -> int:
        """How many names have state right now (for tests and metrics)."""
        return len(self._logs)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        self._logs.clear()

    def _log(self, name: str, window: float, now: float) -> _Log:
        """The log of ``name``, created if need be and marked as used just now."""
        log = self._logs.get(name)
        if log is None:
            log = self._logs[name] = _Log(window)
            if len(self._logs) > self._max_names:
                self._logs.popitem(last=False)
        else:
            self._logs.move_to_end(name)
        log.window = window
        self._drop_idle(now)
        return log

    def _find(self, name: str) -> _Log | None:
        return self._logs.get(name)

    def _forget(self, name: str) -> None:
        self._logs.pop(name, None)

    def _drop_idle(self, now: float) -> None:
        """Drop idle names from the least recently used end, never the newest one."""
        logs = self._logs
        for _ in range(_SWEEP):
            if len(logs) <= 1 or not next(iter(logs.values())).idle(now):
                return
            logs.popitem(last=False)


class _LocalLimiter(RateLimiter):
    __slots__ = ("_backend",)

    def __init__(self, backend: LocalLimiterBackend, name: str, limit: int, window: float) -> None:
        super().__init__(name, limit, window)
        self._backend = backend

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        check_reserve(reserve)
        now = time.monotonic()
        log = self._backend._log(self.name, self.window, now)
        return self._decide(log, now, reserve, record=True, hold=hold)

    async def release(self, ticket: str) -> None:
        log = self._backend._find(self.name)
        if log is not None:
            log.release(int(ticket), time.monotonic())

    async def peek(self, *, reserve: int = 0) -> Admission:
        check_reserve(reserve)
        log = self._backend._find(self.name) or _Log(self.window)
        return self._decide(log, time.monotonic(), reserve, record=False)

    async def pause(self, seconds: float) -> None:
        seconds = pause_length(seconds)
        if seconds == 0:
            return
        now = time.monotonic()
        log = self._backend._log(self.name, self.window, now)
        log.paused_until = max(log.paused_until, now + seconds)

    async def reset(self) -> None:
        self._backend._forget(self.name)

    def _decide(
        self, log: _Log, now: float, reserve: int, *, record: bool, hold: float = 0.0
    ) -> Admission:
        log.prune(now)
        times, limit, window = log.times, self.limit, self.window
        live, paused = len(times), log.paused_until > now
        if admits(live, limit, reserve, paused=paused):
            ticket = None
            counts_from = now + max(0.0, hold)
            if record:
                serial = next(self._backend._serials)
                bisect.insort(times, (counts_from, serial))
                ticket = str(serial) if hold > 0 else None
            newest = max(counts_from, times[-1][0]) if times else counts_from
            admitted = answer(
                admitted=True, live=live + 1, limit=limit, window=window, now=now, newest=newest
            )
            return admitted._replace(ticket=ticket)
        rank = blocking_rank(live, limit, reserve)
        return answer(
            admitted=False,
            live=live,
            limit=limit,
            window=window,
            now=now,
            blocking=None if rank is None else times[rank][0],
            newest=times[-1][0] if times else None,
            paused_until=log.paused_until if paused else None,
        )
