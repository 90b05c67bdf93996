"""The one seam between whoever must wait for a slot and wherever slots are counted.

A limit is a **sliding-window log**: at most ``limit`` admissions in *any* interval of
``window`` seconds, the way Discogs counts ("a moving 60 second window"). A token bucket
or GCRA would let ``2 * limit`` through in some window: once the bucket is full, ``limit``
calls at the end of one window plus ``limit`` at the start of the next.

**Held slots.** An upstream counts a call when it *arrives*, which may be any time
between sleeve sending it and its answer coming back (a slow connect, a retransmit). A
slot taken with ``hold`` counts as if it were taken at ``now + hold`` until it is
released, and from then as taken at its release: so an admission
counts from when its answer (or failure) came back, in-flight calls hold their slots, and
no window the upstream can see holds more than the limit, whatever the transit delay.
``hold`` is the longest a call can take (its timeout): a holder that crashes frees its
slot ``hold + window`` later at the latest.

The gate (upstream calls) and the client limits are written once against
:class:`RateLimiter`; the backends only keep the log:
:class:`~sleeve.governance.local_limiter.LocalLimiterBackend` per process and
:class:`~sleeve.governance.redis_limiter.RedisLimiterBackend` shared by every process that
opens the same Redis. Both pass the same behavioural suite (``tests/governance``), and
both answer with the arithmetic of :mod:`sleeve.governance.sliding_window`.

Errors::

    Exception
    ├── StoreUnavailable   (sleeve.backends) the shared backend cannot answer now;
    │                      the caller falls back to a per-process limiter
    └── ValueError         a limit, window, reserve or pause that makes no sense
"""

from __future__ import annotations

import abc
import math
from typing import NamedTuple

from ..backends import Closeable

__all__ = ["Admission", "LimiterBackend", "RateLimiter"]


class Admission(NamedTuple):
    """One answer of a limiter, enough to fill ``X-…-Ratelimit-*`` and ``Retry-After``.
    (A named tuple: one is made for every request, cached hits included, and a frozen
    dataclass costs four times as much to make.)

    ``used``: admissions in the current window, including this one if admitted.
    ``remaining``: ``limit - used``, never below 0.
    ``retry_after``: seconds until an admission could succeed (0 if admitted); when
    denied, until enough admissions have left the window or the pause ends, whichever
    is later.
    ``reset``: seconds until the window is completely empty again (0 if it is empty).
    ``ticket``: what :meth:`RateLimiter.release` takes, for a slot admitted with a hold.
    """

    admitted: bool
    used: int
    remaining: int
    retry_after: float
    reset: float
    ticket: str | None = None


class RateLimiter(abc.ABC):
    """One named limit: at most ``limit`` admissions in any ``window`` seconds.

    Example::

        discogs = backend.limiter("upstream:discogs", limit=60, window=60.0)
        admission = await discogs.acquire()
        if not admission.admitted:
            await asyncio.sleep(admission.retry_after)   # then try again
        await discogs.pause(30.0)                        # the upstream said Retry-After: 30

    Every limiter of one backend with the same ``name`` shares one log; use one name with
    one ``limit`` and ``window``. Every method may raise
    :class:`~sleeve.backends.StoreUnavailable` (shared backends only).
    """

    __slots__ = ("limit", "name", "window")

    def __init__(self, name: str, limit: int, window: float) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit!r}")
        if not (window > 0 and math.isfinite(window)):
            raise ValueError(f"window must be a positive number of seconds, not {window!r}")
        self.name = name
        self.limit = limit
        self.window = float(window)

    @abc.abstractmethod
    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        """Admit and record one call iff fewer than ``limit - reserve`` admissions are in
        the window and no pause is running.

        ``reserve`` keeps slots free for others: background work passes a few so that
        clients still find room. A ``reserve`` of ``limit`` or more is never admitted.
        ``hold`` > 0 takes a held slot (see the module's docstring): release it with the
        admission's ``ticket`` when the call is over.
        """

    @abc.abstractmethod
    async def release(self, ticket: str) -> None:
        """The held slot ``ticket`` counts from now: its call is over. Releasing a slot
        that left the window, or twice, does nothing."""

    @abc.abstractmethod
    async def peek(self, *, reserve: int = 0) -> Admission:
        """What :meth:`acquire` would answer now, recording nothing."""

    @abc.abstractmethod
    async def pause(self, seconds: float) -> None:
        """Admit nobody for ``seconds`` from now (the upstream sent ``Retry-After``).

        Extends a running pause, never shortens it; ``0`` does nothing.
        """

    @abc.abstractmethod
    async def reset(self) -> None:
        """Forget every admission and the pause (tests, admin)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.limit}/{self.window:g}s>"


class LimiterBackend(Closeable):
    """Where the logs of many named limits are kept.

    Example::

        backend = RedisLimiterBackend("redis://cache:6379/0")
        admission = await backend.limiter(f"client:{ip}", 100, 60.0).acquire()
        await backend.close()

    :meth:`limiter` is cheap enough to call once per request.
    """

    @abc.abstractmethod
    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        """The limit ``name``: at most ``limit`` admissions in any ``window`` seconds.

        Raises ``ValueError`` unless ``limit >= 1`` and ``window > 0``.
        """

    def admit_now(self, name: str, limit: int, window: float) -> Admission | None:
        """``limiter(name, limit, window).acquire()`` when it can be decided without
        waiting for anything (the cached-hit front runs outside any task); ``None`` when
        it cannot, and then nothing was counted."""
        return None

    @abc.abstractmethod
    async def healthy(self) -> bool:
        """Whether the backend answers right now; never raises."""
