"""Limits that survive a Redis outage: shared while Redis answers, per process while not.

When the shared backend cannot answer (:class:`~sleeve.backends.StoreUnavailable`), a
limiter counts in this process alone rather than refusing everyone or waving everyone
through. Several processes could then together exceed a limit until Redis is back; the
circuit breaker and the upstream's own 429s still stop a runaway. A pause (an upstream's
``Retry-After``) goes to both; one the shared backend missed is handed to it once it
answers again, so it holds whichever of them answers next.
"""

from __future__ import annotations

import contextlib
import logging
import time

from ..backends import StoreUnavailable
from .limiter import Admission, LimiterBackend, RateLimiter
from .local_limiter import LocalLimiterBackend
from .sliding_window import pause_length

__all__ = ["FallbackLimiterBackend"]

logger = logging.getLogger("sleeve.governance")

_SHARED, _LOCAL = "s", "l"


def _marked(admission: Admission, where: str) -> Admission:
    """The admission, its ticket saying which backend holds the slot."""
    if admission.ticket is None:
        return admission
    return admission._replace(ticket=f"{where}:{admission.ticket}")


class FallbackLimiterBackend(LimiterBackend):
    """``shared`` while it answers, else ``local`` (a :class:`LocalLimiterBackend`)."""

    def __init__(self, shared: LimiterBackend, local: LimiterBackend | None = None) -> None:
        self._shared = shared
        self._local = local or LocalLimiterBackend()
        self._falling_back = False
        self._missed_pauses: dict[str, float] = {}  # name → when (monotonic) the pause ends

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        shared = self._shared.limiter(name, limit, window)
        return _FallbackLimiter(self, shared, self._local.limiter(name, limit, window))

    async def healthy(self) -> bool:
        return await self._shared.healthy()

    async def close(self) -> None:
        await self._shared.close()
        await self._local.close()

    def _note(self, *, shared_answered: bool, why: object = None) -> None:
        """Say so once when the shared backend goes away, and once when it is back."""
        if shared_answered and self._falling_back:
            logger.warning("shared limiter is back; limits are shared again")
        elif not shared_answered and not self._falling_back:
            logger.warning("shared limiter unavailable (%s); limiting in this process only", why)
        self._falling_back = not shared_answered


class _FallbackLimiter(RateLimiter):
    __slots__ = ("_backend", "_local", "_shared")

    def __init__(
        self, backend: FallbackLimiterBackend, shared: RateLimiter, local: RateLimiter
    ) -> None:
        super().__init__(shared.name, shared.limit, shared.window)
        self._backend, self._shared, self._local = backend, shared, local

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        try:
            await self._hand_over_missed_pause()
            admission = await self._shared.acquire(reserve=reserve, hold=hold)
        except StoreUnavailable as exc:
            self._backend._note(shared_answered=False, why=exc)
            return _marked(await self._local.acquire(reserve=reserve, hold=hold), _LOCAL)
        self._backend._note(shared_answered=True)
        return _marked(admission, _SHARED)

    async def release(self, ticket: str) -> None:
        """To whichever admitted it; a shared one Redis cannot take now ends by its hold."""
        where, _, inner = ticket.partition(":")
        if where == _LOCAL:
            await self._local.release(inner)
            return
        with contextlib.suppress(StoreUnavailable):
            await self._shared.release(inner)

    async def peek(self, *, reserve: int = 0) -> Admission:
        try:
            await self._hand_over_missed_pause()
            return await self._shared.peek(reserve=reserve)
        except StoreUnavailable:
            return await self._local.peek(reserve=reserve)

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)
        try:
            await self._shared.pause(seconds)
        except StoreUnavailable as exc:
            missed = self._backend._missed_pauses
            ends = time.monotonic() + pause_length(seconds)
            missed[self.name] = max(missed.get(self.name, 0.0), ends)
            self._backend._note(shared_answered=False, why=exc)

    async def reset(self) -> None:
        self._backend._missed_pauses.pop(self.name, None)
        await self._local.reset()
        await self._shared.reset()

    async def _hand_over_missed_pause(self) -> None:
        ends = self._backend._missed_pauses.get(self.name)
        if ends is None:
            return
        left = ends - time.monotonic()
        if left > 0:
            await self._shared.pause(left)  # may raise: then it is still missed
        self._backend._missed_pauses.pop(self.name, None)
