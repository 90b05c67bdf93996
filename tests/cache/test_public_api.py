from __future__ import annotations

import sleeve.cache


def test_public_names() -> None:
    assert sorted(sleeve.cache.__all__) == [
        "CacheStore",
        "CachedAnswer",
        "CorruptEntry",
        "RedisStore",
        "SQLiteStore",
        "StoreUnavailable",
    ]
