"""Upstream answers through the store: asked upstream once, served stale when allowed.

The flow for one key (an upstream GET without client credentials)::

    store.get ── fresh ────────────────────────────────► hit
             ├─ stale, within stale-while-revalidate ──► stale (refresh in background)
             └─ missing or older ─► single flight ─► upstream ─┬─ 200/404 ─► store, miss
                                                               └─ failure ─► stale-if-error,
                                                                             or the failure

**Single flight.** Concurrent misses for one key share one upstream call: in a process
through a shared future, across processes through a store lock. A process that finds
the lock taken polls the store until the holder's answer lands, or the lock's time-to-
live runs out (a crashed holder), and then asks upstream itself.

**A failing store** (Redis gone) is a cache that misses: answers still flow, coalesced
within the process, and the next healthy call stores again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.http import UpstreamError, UpstreamResponse

from ..governance.priority import background, patience
from .entry import CachedAnswer
from .freshness import FreshnessPolicy, Usability
from .http_caching import strong_etag
from .store import CacheStore, StoreUnavailable

logger = logging.getLogger("sleeve.cache")

Fetch = Callable[[], Awaitable[UpstreamResponse]]
# 307: where the Cover Art Archive keeps an image (sleeve keeps the way, then the bytes).
CACHEABLE = frozenset({200, 307, 404})
KEPT_HEADERS = ("Link", "X-Discogs-Media-Type", "Retry-After", "Location")


@dataclass(frozen=True, slots=True)
class Served:
    """What the cache answers with, and how it came by it (for ``Cache-Status`` and stats)."""

    answer: CachedAnswer
    outcome: str  # hit | stale | stale-if-error | miss | uncached
    collapsed: bool = False


class AnswerCache:
    def __init__(
        self,
        store: CacheStore,
        policy: FreshnessPolicy,
        *,
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
        flush_interval: float = 1.0,
        fallback_patience: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self._lock_ttl = lock_ttl
        self._poll_interval = poll_interval
        self._clock = clock
        self._in_flight: dict[str, asyncio.Future[Served]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()
        self._unflushed: Counter[str] = Counter()
        self._flush_interval = flush_interval
        self._fallback_patience = fallback_patience
        self._next_flush = time.monotonic() + flush_interval

    async def get(self, key: str, kind: str, fetch: Fetch) -> Served:
        """The answer for ``key`` (a ``kind`` resource, e.g. ``discogs:artist``), from the
        store or ``fetch``; ``kind`` without its upstream prefix picks the lifetime."""
        stored = await self._read(key)
        now = self._clock()
        usable = self._usability(stored, now)
        if stored is not None and usable is Usability.FRESH:
            await self._count(kind, "hit")
            return Served(stored, "hit")
        if stored is not None and usable is Usability.REVALIDATE:
            self._refresh_in_background(key, kind, fetch)
            await self._count(kind, "stale")
            return Served(stored, "stale")
        fallback = stored if usable is Usability.IF_ERROR else None
        try:
            if fallback is None:
                served = await self._coalesced(key, kind, fetch)
            else:  # a stale answer beats a long wait for a busy upstream
                with patience(self._fallback_patience):
                    served = await self._coalesced(key, kind, fetch)
        except UpstreamError:
            if fallback is None:
                raise
            return await self._stale_if_error(fallback, kind)
        if fallback is not None and _is_failure(served.answer.status):
            return await self._stale_if_error(fallback, kind)
        await self._count(kind, "coalesced" if served.collapsed else "miss")
        return served

    async def _stale_if_error(self, stored: CachedAnswer, kind: str) -> Served:
        await self._count(kind, "stale")
        return Served(stored, "stale-if-error")

    async def close(self) -> None:
        """Wait for background refreshes, so none is cut off mid-write; flush counters."""
        if self._refreshing:
            await asyncio.gather(*self._refreshing, return_exceptions=True)
        await self.flush_counters()

    async def counters(self) -> dict[str, int]:
        """Outcome counts of every process sharing the store, ``{"kind:outcome": n}``."""
        await self.flush_counters()
        return await self.store.counters()

    async def flush_counters(self) -> None:
        """Add this process' counts to the store's; kept for later if the store is down."""
        pending, self._unflushed = self._unflushed, Counter()
        self._next_flush = time.monotonic() + self._flush_interval
        for name, amount in pending.items():
            try:
                await self.store.incr(name, amount)
            except StoreUnavailable:
                self._unflushed[name] += amount

    # --- single flight ------------------------------------------------------------------

    async def _coalesced(self, key: str, kind: str, fetch: Fetch) -> Served:
        leader = self._in_flight.get(key)
        if leader is not None:
            served = await asyncio.shield(leader)
            return Served(served.answer, served.outcome, collapsed=True)
        future: asyncio.Future[Served] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            served = await self._fill(key, kind, fetch)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: followers re-raise it, nobody logs it as lost
            raise
        else:
            future.set_result(served)
            return served
        finally:
            del self._in_flight[key]

    async def _fill(self, key: str, kind: str, fetch: Fetch) -> Served:
        """Fetch and store under the cross-process lock, or wait for whoever holds it."""
        lock = f"fill:{key}"
        token = await self._try_lock(lock)
        if token is None:
            waited = await self._wait_for_other_process(key, lock)
            if waited is not None:
                return Served(waited, "miss", collapsed=True)
            token = await self._try_lock(lock)
        try:
            return await self._fetch_and_store(key, kind, fetch)
        finally:
            if token:
                await self._unlock(lock, token)

    async def _wait_for_other_process(self, key: str, lock: str) -> CachedAnswer | None:
        """The answer another process is fetching, once it lands; ``None`` if it never does.

        We only wait because the stored answer was missing or past freshness, so a fresh
        one appearing is the other process' (no clock comparison between machines).
        """
        deadline = time.monotonic() + self._lock_ttl
        while time.monotonic() < deadline:
            await asyncio.sleep(self._poll_interval)
            landed = await self._fresh(key)
            if landed is not None:
                return landed
            token = await self._try_lock(lock)
            if token is not None:  # the holder finished, or died: look once more, then go
                await self._unlock(lock, token)
                return await self._fresh(key)
        return None

    async def _fresh(self, key: str) -> CachedAnswer | None:
        stored = await self._read(key)
        if stored is None or self._usability(stored, self._clock()) is not Usability.FRESH:
            return None
        return stored

    async def _fetch_and_store(self, key: str, kind: str, fetch: Fetch) -> Served:
        upstream = await fetch()
        answer = self._answer(upstream, kind)
        if upstream.status not in CACHEABLE:
            return Served(answer, "uncached")
        try:
            await self.store.put(key, answer)
        except StoreUnavailable:
            logger.warning("cache store unavailable; answer not stored")
        return Served(answer, "miss")

    def _refresh_in_background(self, key: str, kind: str, fetch: Fetch) -> None:
        if key in self._in_flight:
            return

        async def refresh() -> None:
            try:
                await self._coalesced(key, kind, fetch)
            except Exception as exc:  # the stale answer was served; the next request retries
                logger.info("background refresh failed: %s", exc)

        with background():  # the task inherits it: clients get upstream slots first
            task = asyncio.get_running_loop().create_task(refresh())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    # --- helpers --------------------------------------------------------------------------

    def _answer(self, upstream: UpstreamResponse, kind: str) -> CachedAnswer:
        now = self._clock()
        fresh_until, keep_until = self.policy.expiry(now, kind.rpartition(":")[2], upstream.status)
        headers = tuple(
            (name, upstream.headers[name]) for name in KEPT_HEADERS if name in upstream.headers
        )
        return CachedAnswer(
            status=upstream.status,
            headers=headers,
            body=upstream.body,
            stored_at=now,
            fresh_until=fresh_until,
            keep_until=keep_until,
            etag=strong_etag(upstream.body),
        )

    def _usability(self, stored: CachedAnswer | None, now: float) -> Usability:
        if stored is None:
            return Usability.NONE
        return self.policy.usability(stored.fresh_until, stored.keep_until, now)

    async def _read(self, key: str) -> CachedAnswer | None:
        try:
            return await self.store.get(key)
        except StoreUnavailable:
            return None

    async def _try_lock(self, name: str) -> str | None:
        try:
            return await self.store.try_lock(name, self._lock_ttl)
        except StoreUnavailable:
            return ""  # no shared lock to be had: proceed, coalesced in-process only

    async def _unlock(self, name: str, token: str) -> None:
        with contextlib.suppress(StoreUnavailable):  # the lock expires by itself
            await self.store.unlock(name, token)

    async def _count(self, kind: str, outcome: str) -> None:
        """Counted in memory: a store write per request would cost more than a hit."""
        self._unflushed[f"{kind}:{outcome}"] += 1
        if time.monotonic() >= self._next_flush:
            await self.flush_counters()

    def count_hit(self, kind: str) -> None:
        """Count a hit answered without coming through here (the fast path)."""
        self.count(kind, "hit")

    def count(self, kind: str, outcome: str) -> None:
        """Count an outcome seen elsewhere (the fast path, images) with the cache's own."""
        self._unflushed[f"{kind}:{outcome}"] += 1
        if time.monotonic() >= self._next_flush:
            self._next_flush = time.monotonic() + self._flush_interval
            task = asyncio.get_running_loop().create_task(self.flush_counters())
            self._refreshing.add(task)
            task.add_done_callback(self._refreshing.discard)


def _is_failure(status: int) -> bool:
    return status == 429 or status >= 500
