"""The one seam between the cache policy and wherever answers are kept.

The policy (freshness, validators, single-flight) is written once against
:class:`CacheStore`; the backends (:class:`~sleeve.cache.sqlite_store.SQLiteStore`
embedded, :class:`~sleeve.cache.redis_store.RedisStore` shared) only keep bytes, hold
expiring locks and add up counters. Every backend passes the same behavioural suite
(``tests/cache``).

Errors a store raises::

    Exception
    ├── StoreUnavailable      (sleeve.backends) the backend cannot answer now; the
    │                         caller goes upstream
    └── ValueError
        └── CorruptEntry      (sleeve.cache.entry) bytes that are not a cached answer;
                              stores never raise it: they drop the entry and miss

A store never serves a corrupt or expired entry: ``get`` answers ``None`` for both.
"""

from __future__ import annotations

import abc

from ..backends import Closeable
from .entry import CachedAnswer

__all__ = ["CacheStore"]


class CacheStore(Closeable):
    """Cached answers by key, expiring locks by name, and counters, shared by every
    process that opens the same backend.

    Example::

        store = SQLiteStore("/var/cache/sleeve/cache.db", max_bytes=1 << 30)
        await store.put("discogs:/releases/1", answer)   # gone after answer.keep_until
        hit = await store.get("discogs:/releases/1")     # CachedAnswer or None
        token = await store.try_lock("fill:/releases/1", ttl=10.0)
        if token is not None:
            try: ...
            finally: await store.unlock("fill:/releases/1", token)
        await store.incr("hits")
        await store.close()

    Keys and names are opaque ``str`` (up to a few KB). Every method may raise
    :class:`StoreUnavailable`, except :meth:`healthy` and :meth:`close`.
    """

    @abc.abstractmethod
    async def get(self, key: str) -> CachedAnswer | None:
        """The answer under ``key``; ``None`` if absent, past ``keep_until`` or corrupt.

        A corrupt entry is deleted, so it costs one miss, never a wrong answer.
        """

    @abc.abstractmethod
    async def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key``, atomically replacing any previous one.

        Readers see the old or the new answer, never part of one. The entry expires at
        ``answer.keep_until``; one already past it is not stored (and the old one goes).
        """

    @abc.abstractmethod
    async def delete(self, key: str) -> bool:
        """Drop ``key``; ``True`` if there was an entry."""

    @abc.abstractmethod
    async def purge_prefix(self, prefix: str) -> int:
        """Drop every entry whose key starts with ``prefix`` (literally: no patterns).

        Returns how many were dropped. Locks and counters are not entries.
        """

    @abc.abstractmethod
    async def try_lock(self, name: str, ttl: float) -> str | None:
        """A fresh token if the lock ``name`` was free (or expired), else ``None``.

        The lock frees itself ``ttl`` seconds later, so a holder that crashed blocks
        others for at most ``ttl``. Never waits.
        """

    @abc.abstractmethod
    async def unlock(self, name: str, token: str) -> bool:
        """Release ``name`` if ``token`` still holds it; ``False`` otherwise (wrong token,
        expired, or taken over by someone else after expiry)."""

    @abc.abstractmethod
    async def healthy(self) -> bool:
        """Whether the backend answers right now; never raises."""

    @abc.abstractmethod
    async def incr(self, counter: str, amount: int = 1) -> None:
        """Add ``amount`` to ``counter`` (created at 0), visible to every process."""

    @abc.abstractmethod
    async def counters(self, prefix: str = "") -> dict[str, int]:
        """Every counter whose name starts with ``prefix``, with its value."""
