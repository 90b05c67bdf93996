"""The cache of upstream answers.

Storage (``store``, ``sqlite_store``, ``redis_store``, ``entry``) keeps bytes under keys,
expiring locks and counters, behind one interface with an embedded and a shared backend.
The policy is separate and pure (``freshness``, ``http_caching``), and ``answer_cache``
puts them together on the request path: lookups, single flight, stale answers.
"""

from __future__ import annotations

from .entry import CachedAnswer, CorruptEntry
from .redis_store import RedisStore
from .sqlite_store import SQLiteStore
from .store import CacheStore, StoreUnavailable

__all__ = [
    "CacheStore",
    "CachedAnswer",
    "CorruptEntry",
    "RedisStore",
    "SQLiteStore",
    "StoreUnavailable",
]
