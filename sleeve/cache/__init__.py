"""The cache of upstream answers.

Storage (``store``, ``sqlite_store``, ``redis_store``, ``entry``) keeps bytes under keys,
expiring locks and counters, behind one interface with an embedded and a shared backend.
The policy is separate and pure (``freshness``, ``http_caching``, ``keys``), and
``answer_cache`` puts them together on the request path: lookups, single flight
(``single_flight``), stale answers. ``responses`` gives answers their validators, and
``rendered`` remembers answers as sent for the edge's fast path. No module here knows an
upstream: kinds and lifetimes come from each upstream's package.

Import from the modules themselves; this package re-exports only the storage seam, and
imports neither backend (``redis`` loads only when the Redis store is used).
"""

from __future__ import annotations

from .entry import CachedAnswer, CorruptEntry
from .store import CacheStore

__all__ = ["CacheStore", "CachedAnswer", "CorruptEntry"]
