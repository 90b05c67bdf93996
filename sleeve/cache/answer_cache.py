"""Upstream answers through the store: asked upstream once, served stale when allowed.

The flow for one key (an upstream GET without client credentials)::

    store.get ── fresh ────────────────────────────────► hit
             ├─ stale, within stale-while-revalidate ──► stale (refresh in background)
             └─ missing or older ─► single flight ─► upstream ─┬─ 200/307/404 ─► store, miss
                                                               └─ failure ─► stale-if-error,
                                                                             or the failure

**Single flight** (:mod:`.single_flight`). Concurrent misses for one key share one
upstream call: in a process through a shared future, across processes through a store
lock. A process that finds the lock taken polls the store until the holder's answer
lands, or the lock's time-to-live runs out (a crashed holder), and then asks upstream
itself.

**A failing store** (Redis gone) is a cache that misses: answers still flow, coalesced
within the process, and the next healthy call stores again.

**Counters** (outcomes per kind, for ``/_sleeve/cache/stats``) are kept in memory and
added to the store's about once a second: a store write per request would cost more than
a hit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from ..adapters.http import UpstreamError, UpstreamResponse
from ..backends import StoreUnavailable
from ..governance.priority import background, patience
from ..observability.request_record import detached, note_cache
from .entry import CachedAnswer
from .freshness import FreshnessPolicy, Usability
from .http_caching import strong_etag
from .keys import Kind
from .rendered import RenderedAnswers
from .single_flight import SingleFlight
from .store import CacheStore

__all__ = ["CACHEABLE", "AnswerCache", "Fetch", "Served"]

logger = logging.getLogger("sleeve.cache")

Fetch = Callable[[], Awaitable[UpstreamResponse]]
# 307: where the Cover Art Archive keeps an image (sleeve keeps the way, then the bytes).
CACHEABLE = frozenset({200, 307, 404})
# What any answer may need again; upstreams name their own on top (``keep``).
_ALWAYS_KEPT = ("Link", "Retry-After", "Location")


@dataclass(frozen=True, slots=True)
class Served:
    """What the cache answers with, and how it came by it (for ``Cache-Status`` and stats).

    ``outcome``: ``hit`` (fresh), ``stale`` (past freshness, refreshing in the
    background), ``stale-if-error`` (the upstream failed), ``miss`` (fetched and stored),
    ``uncached`` (fetched, not storable: a 5xx, say). ``collapsed``: another call's fetch.
    """

    answer: CachedAnswer
    outcome: str
    kind: Kind
    collapsed: bool = False


class AnswerCache:
    """The cache of upstream answers over one :class:`CacheStore`.

    ``clock`` is the wall clock that freshness is judged by (stored times are Unix
    seconds, shared by every process); ``rendered`` is this process' memory of answers as
    sent, which :meth:`purge` clears along with the store.
    """

    def __init__(
        self,
        store: CacheStore,
        policy: FreshnessPolicy,
        *,
        rendered: RenderedAnswers | None = None,
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
        flush_interval: float = 1.0,
        fallback_patience: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self.rendered = rendered if rendered is not None else RenderedAnswers()
        self._clock = clock
        self._flights: SingleFlight[Served] = SingleFlight(
            store, prefix="fill:", lock_ttl=lock_ttl, poll_interval=poll_interval
        )
        self._tasks: set[asyncio.Task[None]] = set()  # background refreshes, counter flushes
        self._unflushed: Counter[str] = Counter()
        self._flush_interval = flush_interval
        self._fallback_patience = fallback_patience
        self._next_flush = time.monotonic() + flush_interval

    async def get(
        self, key: str, kind: Kind, fetch: Fetch, *, keep: Collection[str] = ()
    ) -> Served:
        """The answer for ``key``, a ``kind`` resource, from the store or ``fetch``.

        ``keep`` names the upstream's headers worth storing beside the body (``Link``,
        ``Retry-After`` and ``Location`` always are). The outcome is noted on the
        request's record, for its log line.
        """
        served = await self._get(key, kind, fetch, keep)
        note_cache("coalesced" if served.collapsed else served.outcome)
        return served

    async def _get(self, key: str, kind: Kind, fetch: Fetch, keep: Collection[str]) -> Served:
        stored = await self._read(key)
        usable = self._usability(stored, self._clock())
        if stored is not None and usable is Usability.FRESH:
            self.count(kind, "hit")
            return Served(stored, "hit", kind)
        if stored is not None and usable is Usability.REVALIDATE:
            self._refresh_in_background(key, kind, fetch, keep)
            self.count(kind, "stale")
            return Served(stored, "stale", kind)
        fallback = stored if usable is Usability.IF_ERROR else None
        try:
            if fallback is None:
                served = await self._coalesced(key, kind, fetch, keep)
            else:  # a stale answer beats a long wait for a busy upstream
                with patience(self._fallback_patience):
                    served = await self._coalesced(key, kind, fetch, keep)
        except UpstreamError:
            if fallback is None:
                raise
            return self._stale_if_error(fallback, kind)
        if fallback is not None and _is_failure(served.answer.status):
            return self._stale_if_error(fallback, kind)
        self.count(kind, "coalesced" if served.collapsed else "miss")
        return served

    async def purge(self, prefixes: Iterable[str]) -> int:
        """Drop every stored answer whose key starts with one of ``prefixes``; how many.

        This process forgets its rendered answers at once; other processes within their
        ``rendered.max_age``.
        """
        purged = sum([await self.store.purge_prefix(prefix) for prefix in prefixes])
        self.rendered.clear()
        return purged

    def count(self, kind: Kind | str, outcome: str) -> None:
        """Count an outcome (the cache's own, the fast path's hits, images')."""
        self._unflushed[f"{kind}:{outcome}"] += 1
        if time.monotonic() >= self._next_flush:
            self._next_flush = time.monotonic() + self._flush_interval
            self._start(self.flush_counters())

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

    async def settled(self) -> None:
        """Wait for the background refreshes and counter flushes started so far."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Let background refreshes finish, so none is cut off mid-write; flush counters.

        The store stays open: it is the app's to close.
        """
        await self.settled()
        await self.flush_counters()

    def _stale_if_error(self, stored: CachedAnswer, kind: Kind) -> Served:
        self.count(kind, "stale")
        return Served(stored, "stale-if-error", kind)

    async def _coalesced(self, key: str, kind: Kind, fetch: Fetch, keep: Collection[str]) -> Served:
        served, joined = await self._flights.run(
            key,
            make=lambda: self._fetch_and_store(key, kind, fetch, keep),
            landed=lambda: self._landed(key, kind),
        )
        return dataclasses.replace(served, collapsed=True) if joined else served

    async def _landed(self, key: str, kind: Kind) -> Served | None:
        """A fresh answer another process stored while this one waited for it.

        We only wait because the stored answer was missing or past freshness, so a fresh
        one appearing is the other process' (no clock comparison between machines).
        """
        stored = await self._read(key)
        if stored is None or self._usability(stored, self._clock()) is not Usability.FRESH:
            return None
        return Served(stored, "miss", kind)

    async def _fetch_and_store(
        self, key: str, kind: Kind, fetch: Fetch, keep: Collection[str]
    ) -> Served:
        upstream = await fetch()
        answer = self._answer(upstream, kind, keep)
        if upstream.status not in CACHEABLE:
            return Served(answer, "uncached", kind)
        try:
            await self.store.put(key, answer)
        except StoreUnavailable:  # the backend says so once, when it goes away
            logger.debug("cache store unavailable; answer not stored")
        return Served(answer, "miss", kind)

    def _refresh_in_background(
        self, key: str, kind: Kind, fetch: Fetch, keep: Collection[str]
    ) -> None:
        if self._flights.running(key):
            return

        async def refresh() -> None:
            try:
                with detached():  # its calls are no request's: that one was answered stale
                    await self._coalesced(key, kind, fetch, keep)
            except Exception as exc:  # the stale answer was served; the next request retries
                logger.info("background refresh failed: %s", exc)

        with background():  # the task inherits it: clients get upstream slots first
            self._start(refresh())

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer(
        self, upstream: UpstreamResponse, kind: Kind, keep: Collection[str]
    ) -> CachedAnswer:
        now = self._clock()
        fresh_until, keep_until = self.policy.expiry(now, kind, upstream.status)
        kept = (*_ALWAYS_KEPT, *keep)
        headers = tuple((name, upstream.headers[name]) for name in kept if name in upstream.headers)
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


def _is_failure(status: int) -> bool:
    return status == 429 or status >= 500
