"""The gate between sleeve and one upstream: never over its limit, patient within a
deadline, gentle with retries, and quick to stop calling an upstream that is down.

For each call, in order:

1. the **circuit breaker** (per process) must allow it — while open, the call fails fast
   with :class:`UpstreamBusy` (and the cache may answer stale instead);
2. a **slot** from the upstream's sliding-window limiter (shared through Redis by every
   process, falling back to a per-process count while Redis is away
   (:mod:`.fallback`), or per process for the embedded default), waiting for one up to the caller's
   deadline; callers of one process take turns at it (:mod:`.turns`), clients before
   background work (which also leaves ``reserve`` slots for clients), and among
   clients each in its round, so that one client's crawl cannot starve another's lookup;
3. the call itself, holding its slot until the answer (or the failure) is back: the slot
   counts from then, so however slowly the call travels, no window the upstream sees
   holds more than the limit (:mod:`.limiter`, "held slots"); a 429 **pauses** the
   limiter for the ``Retry-After`` asked (for every process), and the upstream's
   ``X-…-Remaining: 0`` while sleeve's own count says there is room (someone else is
   spending the same upstream budget) makes it wait a slot's time;
4. **retries** with exponential backoff and full jitter for timeouts, unreachable, 429 and
   5xx answers, within a retry budget and the deadline.

A call that cannot get a slot in time fails with :class:`UpstreamBusy` carrying a
``retry_after``, which clients see as 503 with ``Retry-After`` — never the upstream's 429.

Every step is reported to the gate's :class:`~sleeve.observability.upstream_watch.UpstreamWatch`
(metrics, the request's record, failure logs, the last failure for readiness).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from ..adapters.http import UpstreamError, UpstreamResponse
from ..backends import StoreUnavailable
from ..observability.upstream_watch import UpstreamWatch
from .breaker import BreakerState, CircuitBreaker
from .limiter import Admission, RateLimiter
from .priority import Priority, current_client, current_patience, current_priority
from .retry import RetryBudget, RetryPolicy, parse_retry_after
from .turns import TurnQueue

logger = logging.getLogger("sleeve.governance")

Fetch = Callable[[], Awaitable[UpstreamResponse]]
MAX_DEFAULT_PAUSE = 60.0
_FAILURES = (UpstreamError,)


class UpstreamBusy(UpstreamError):
    """No call was made in time (no slot, or the breaker is open); try after ``retry_after``."""

    def __init__(self, upstream: str, message: str, retry_after: float) -> None:
        super().__init__(upstream, message)
        self.retry_after = max(1, math.ceil(retry_after))


class UpstreamGate:
    def __init__(
        self,
        upstream: str,
        limiter: RateLimiter,
        *,
        max_wait: float,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        remaining_header: str | None = None,
        background_reserve: int | None = None,
        limit_name: str = "rate limit",
        hold: float = 30.0,
        watch: UpstreamWatch | None = None,
    ) -> None:
        self.upstream = upstream
        self.limiter = limiter
        self._limit_name = limit_name
        self._hold = hold  # the longest one attempt can take: its slot is held that long
        self._max_wait = max_wait
        self.breaker = breaker or CircuitBreaker()
        self.watch = watch or UpstreamWatch(upstream)
        self.watch.breaker = self.breaker
        self.breaker.on_change = self._breaker_changed
        self._retry = retry or RetryPolicy()
        self._budget = budget or RetryBudget()
        self._remaining_header = remaining_header
        self._turns = TurnQueue()
        # A tenth of the slots stay free for clients; none below ten (MusicBrainz' 1/s).
        self._reserve = (
            background_reserve if background_reserve is not None else limiter.limit // 10
        )

    async def call(self, fetch: Fetch) -> UpstreamResponse:
        """``fetch()`` within the upstream's limits; retried when that can help."""
        deadline = time.monotonic() + min(self._max_wait, current_patience() or self._max_wait)
        self._budget.record_request()  # once per call: retries must not fund more retries
        attempt = 1
        while True:
            self._check_breaker()
            ticket = await self._take_slot(deadline)
            self.watch.calling()
            try:
                answer = await fetch()
            except _FAILURES as exc:
                await self._release(ticket)
                self.watch.raised(exc.cause, getattr(exc, "host", None), str(exc))
                self.breaker.record_failure()
                if not await self._backoff(attempt, deadline, error=True, retry_after=None):
                    raise
                logger.info("%s call failed (%s); retrying", self.upstream, exc)
            except BaseException:
                await self._release(ticket)
                raise
            else:
                await self._release(ticket)
                self.watch.answered(answer.status, answer.host)
                await self._learn(answer)
                if not await self._backoff(
                    attempt, deadline, status=answer.status, retry_after=_retry_after(answer)
                ):
                    return answer
            attempt += 1

    # --- the steps ----------------------------------------------------------------------

    def _breaker_changed(self, state: BreakerState) -> None:
        self.watch.breaker_changed(state.value)

    def _check_breaker(self) -> None:
        if not self.breaker.allow():
            self.watch.refused("breaker")
            raise UpstreamBusy(
                self.upstream,
                f"{self.upstream} keeps failing; sleeve is giving it a rest.",
                self.breaker.retry_after(),
            )

    async def _take_slot(self, deadline: float) -> str | None:
        """A held slot from the limiter (its ticket), asking only in this caller's turn."""
        background = current_priority() is Priority.BACKGROUND
        started = time.monotonic()
        rank, patience = int(background), deadline - started
        if not await self._turns.acquire(rank, patience, current_client()):
            wait = self.limiter.window / self.limiter.limit * (1 + self._turns.waiting)
            self.watch.refused("limit")
            raise self._busy(f"too many calls wait for {self.upstream}", wait)
        slept = False
        try:
            reserve = self._reserve if background else 0
            while True:
                admission = await self.limiter.acquire(reserve=reserve, hold=self._hold)
                if admission.admitted:
                    waited = time.monotonic() - started
                    if slept or waited >= 0.01:  # a wait, not the cost of asking
                        self.watch.waited(waited)
                    return admission.ticket
                if admission.retry_after > deadline - time.monotonic():
                    self.watch.refused("limit")
                    raise self._busy(self._why_not(admission, reserve), admission.retry_after)
                slept = True
                await asyncio.sleep(admission.retry_after)
        finally:
            self._turns.release()

    async def _release(self, ticket: str | None) -> None:
        """The call is over: its slot counts from now. Failing that, it ends by its hold."""
        if ticket is not None:
            with contextlib.suppress(StoreUnavailable):
                await self.limiter.release(ticket)

    def _why_not(self, admission: Admission, reserve: int) -> str:
        """A refusal in words: the limit spent (for this caller), or a pause the upstream
        asked for."""
        if admission.remaining <= reserve:
            return f"the {self._limit_name} of {self.upstream} is used up"
        return f"{self.upstream} asked sleeve to wait"

    def _busy(self, why: str, retry_after: float) -> UpstreamBusy:
        seconds = max(1, math.ceil(retry_after))
        return UpstreamBusy(
            self.upstream, f"{why[0].upper()}{why[1:]}; try again in {seconds} s.", retry_after
        )

    async def _learn(self, answer: UpstreamResponse) -> None:
        """What the answer says about the upstream's health and its view of our usage."""
        if answer.status >= 500:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        pause = 0.0
        if answer.status == 429:  # no Retry-After: a window's rest, a minute at most
            pause = _retry_after(answer) or min(self.limiter.window, MAX_DEFAULT_PAUSE)
        elif self._upstream_says_none_left(answer) and await self._thinks_there_is_room():
            pause = self.limiter.window / self.limiter.limit  # someone else spends the budget
        if pause:
            await self._pause(pause)

    def _upstream_says_none_left(self, answer: UpstreamResponse) -> bool:
        header = self._remaining_header
        return header is not None and answer.headers.get(header) == "0"

    async def _thinks_there_is_room(self) -> bool:
        try:
            return (await self.limiter.peek()).admitted
        except StoreUnavailable:
            return True

    async def _pause(self, seconds: float) -> None:
        logger.warning("%s asked sleeve to slow down; pausing %.1f s", self.upstream, seconds)
        with contextlib.suppress(StoreUnavailable):  # a fallback limiter pauses its own
            await self.limiter.pause(seconds)

    async def _backoff(
        self,
        attempt: int,
        deadline: float,
        *,
        status: int | None = None,
        error: bool = False,
        retry_after: float | None,
    ) -> bool:
        """Sleep before a retry and say ``True``, or say ``False`` to stop retrying."""
        if not self._retry.should_retry(attempt, status=status, error=error):
            return False
        left = deadline - time.monotonic()
        if self._retry.gives_up_for(retry_after, left) or not self._budget.try_spend():
            return False
        delay = self._retry.delay(attempt, retry_after=None)  # a pause covers Retry-After
        if delay >= left:
            return False
        self.watch.retried()
        await asyncio.sleep(delay)
        return True


def _retry_after(answer: UpstreamResponse) -> float | None:
    return parse_retry_after(answer.headers.get("Retry-After"))
