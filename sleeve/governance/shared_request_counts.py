"""Client request limits shared by every process, in batches: through Redis, or through
a SQLite file by the workers of one host (:mod:`.count_totals`).

Each process counts its clients' requests itself (:mod:`.request_counts`: nothing on the
request's path but arithmetic), and every ``sync_interval`` one background task tells
the shared totals what it counted since last time and learns what the others counted:
one batch for all the clients it saw, an addition to a key per client and window (the
windows are aligned on the wall clock, so every process means the same ones) expiring
after two windows.

The price of batching: between two syncs a process does not see the others' newest
requests, so N processes may together admit up to ``(N - 1) * rate * sync_interval``
more than the limit; with a generous limit and half a second, a few requests. A client
a process has not asked about lately has no view to be late: its first request there
waits for one read of the totals (shared by every request of that client arriving
meanwhile), so the view is never older than a sync. The headers clients read say the
count as this process knows it. While Redis is away, counting goes on per process and
the counts are handed over when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable

from ..backends import StoreUnavailable
from .count_totals import Addition, CountTotals
from .limiter import Admission, RateLimiter
from .request_counts import CountedLimiter, Counts, RequestCountsBackend

__all__ = ["SharedRequestCountsBackend"]

_BATCH = 1000  # clients per sync; the rest wait for the next one
_CLOSE_WAIT = 2.0  # seconds a sync under way may take to end when closing


class SharedRequestCountsBackend(RequestCountsBackend):
    def __init__(
        self,
        totals: CountTotals,
        *,
        max_names: int = 100_000,
        sync_interval: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(max_names=max_names, clock=clock)
        self._totals = totals
        self._interval = sync_interval
        # Clients asked about lately (most recent last), with when: each sync tells and
        # learns theirs, so a process's view of a busy client is never older than one
        # interval, even if that client's requests mostly reach other processes.
        self._active: OrderedDict[str, float] = OrderedDict()
        self._max_active = max_names
        self._syncing: asyncio.Task[None] | None = None
        self._one_sync = asyncio.Lock()  # two at once would both send the same counts
        self._first_reads: dict[str, asyncio.Future[None]] = {}
        self._closing = asyncio.Event()

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        return _SharedCountedLimiter(self, name, limit, window)

    def admit_now(self, name: str, limit: int, window: float) -> Admission | None:
        if name not in self._active:
            return None  # the totals must be read first
        return self._admitted(name, limit, window, 0)

    async def _admitted_shared(self, limiter: RateLimiter, reserve: int) -> Admission:
        if limiter.name not in self._active:
            await self._read_first(limiter.name, limiter.window)
        return self._admitted(limiter.name, limiter.limit, limiter.window, reserve)

    async def _read_first(self, name: str, window: float) -> None:
        """Learn what the others counted of a client before judging its first request
        here: one read however many of its requests arrive while it is under way."""
        reading = self._first_reads.get(name)
        if reading is None:
            reading = asyncio.ensure_future(self._read(name, window))
            self._first_reads[name] = reading
            reading.add_done_callback(lambda _: self._first_reads.pop(name, None))
        await asyncio.shield(reading)

    async def _read(self, name: str, window: float) -> None:
        counts = self.counts.counts(name, window, self.clock())
        bucket, ttl = counts.bucket, 2 * window
        try:  # adding nothing reads the totals, the same way in Redis and in SQLite
            current_total, previous_total = await self._totals.add(
                [(f"{name}:{bucket}", 0, ttl), (f"{name}:{bucket - 1}", 0, ttl)]
            )
        except StoreUnavailable:
            return  # judged by this process's counts alone, as while the store is away
        self._learn(counts, bucket, 0, 0, current_total, previous_total)

    def _admitted(self, name: str, limit: int, window: float, reserve: int) -> Admission:
        admission = super()._admitted(name, limit, window, reserve)
        self._active[name] = self.clock()
        self._active.move_to_end(name)
        if len(self._active) > self._max_active:
            self._active.popitem(last=False)
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.get_running_loop().create_task(self._keep_syncing())
        return admission

    async def _keep_syncing(self) -> None:
        """Sync every interval while some client was asked about within its window (and
        stop at once when closing, even if a cancellation was lost inside a Redis call)."""
        while self._active and not self._closing.is_set():
            await self.sync()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._interval)

    async def sync(self) -> None:
        """Tell the shared totals what this process counted for the clients asked about
        lately, and learn what the others counted; never raises."""
        async with self._one_sync:
            await self._sync()

    async def _sync(self) -> None:
        now = self.clock()
        for name, when in list(self._active.items()):  # oldest first: drop the idle
            counts = self.counts.get(name)
            if counts is not None and now - when <= 2 * counts.window:
                break
            del self._active[name]
        names = list(self._active)[-_BATCH:]
        batch = [(name, counts) for name in names if (counts := self.counts.get(name))]
        if not batch:
            return
        sent = [(counts.bucket, counts.unshared, counts.unshared_previous) for _, counts in batch]
        additions: list[Addition] = []
        for (name, counts), (bucket, unshared, unshared_previous) in zip(batch, sent, strict=True):
            ttl = 2 * counts.window
            additions.append((f"{name}:{bucket}", unshared, ttl))
            additions.append((f"{name}:{bucket - 1}", unshared_previous, ttl))
        try:
            totals = await self._totals.add(additions)
        except StoreUnavailable:
            return  # counted here meanwhile; told next time (they stay active)
        for index, ((_, counts), (bucket, unshared, unshared_previous)) in enumerate(
            zip(batch, sent, strict=True)
        ):
            current_total, previous_total = totals[2 * index], totals[2 * index + 1]
            self._learn(counts, bucket, unshared, unshared_previous, current_total, previous_total)

    @staticmethod
    def _learn(
        counts: Counts,
        bucket: int,
        unshared: int,
        unshared_previous: int,
        current_total: int,
        previous_total: int,
    ) -> None:
        """Take in Redis' totals for windows ``bucket`` and ``bucket - 1``, which include
        what this process sent (its whole count of those windows by then)."""
        if counts.bucket == bucket:
            counts.unshared -= unshared
            counts.unshared_previous -= unshared_previous
            mine_now, mine_before = counts.current - counts.unshared, counts.previous
            counts.shared_current = max(0, current_total - mine_now)
            counts.shared_previous = max(0, previous_total - mine_before + counts.unshared_previous)
        elif counts.bucket == bucket + 1:  # the window moved on while Redis answered
            counts.unshared_previous -= unshared
            counts.shared_previous = max(
                0, current_total - (counts.previous - counts.unshared_previous)
            )

    async def healthy(self) -> bool:
        return await self._totals.healthy()

    async def close(self) -> None:
        self._closing.set()
        if self._syncing is not None:
            self._syncing.cancel()
            await asyncio.wait({self._syncing}, timeout=_CLOSE_WAIT)
        with contextlib.suppress(StoreUnavailable):
            await self.sync()  # the last counts, for the other processes
        await self._totals.close()


class _SharedCountedLimiter(CountedLimiter):
    __slots__ = ()
    _backend: SharedRequestCountsBackend

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        return await self._backend._admitted_shared(self, reserve)
