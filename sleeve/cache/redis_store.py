"""The shared cache: Redis, for several hosts behind one load balancer.

Layout, every key under ``namespace`` (default ``sleeve:``)::

    {namespace}e:{key}     STRING  CachedAnswer.encode(), PX until keep_until
    {namespace}l:{name}    STRING  lock token, PX ttl (SET NX PX)
    {namespace}counters    HASH    counter name -> integer (HINCRBY)

Keys and names are :func:`~sleeve.backends.key_bytes`, so any ``str`` round-trips.
Expiry is relative (``PX`` from this host's clock), so clock skew between sleeve and
Redis does not shorten or stretch entries. Redis bounds its own memory: run it with
``maxmemory`` and ``maxmemory-policy allkeys-lru`` (locks and counters are few and small;
an evicted lock only means one extra upstream fetch).

Failures are fast by construction: short connect and socket timeouts, one immediate
reconnect attempt (to step over a connection Redis closed while idle) and no backoff.
Every failure is :class:`~sleeve.backends.StoreUnavailable`; the connection pool
reconnects by itself, so the same object works again once Redis is back. The pool is a
:class:`~sleeve.backends.redis.RedisConnection`, shared with the limits when the app
hands the same one to both.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from ..backends import key_bytes, key_text
from ..backends.redis import RedisConnection
from .entry import CachedAnswer, CorruptEntry
from .store import CacheStore

__all__ = ["RedisStore", "glob_escape"]

# KEYS[1] is deleted only while it still holds ARGV[1]: releases a lock only for its
# holder, and drops a corrupt entry without racing a writer that just replaced it.
_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
_GLOB_SPECIAL = frozenset(b"*?[]\\")


def glob_escape(literal: bytes) -> bytes:
    """``literal`` as a Redis glob pattern matching exactly itself (``SCAN MATCH``)."""
    return b"".join(b"\\" + bytes([c]) if c in _GLOB_SPECIAL else bytes([c]) for c in literal)


class RedisStore(CacheStore):
    """:class:`CacheStore` in Redis: a shared :class:`RedisConnection`, or a URL
    (``redis://host:port/db`` or ``rediss://``) to open one of its own.

    ``connect_timeout`` and ``socket_timeout`` (seconds, for a connection of its own)
    bound how long any call can take when Redis is down or stalled before
    :class:`~sleeve.backends.StoreUnavailable`.
    """

    def __init__(
        self,
        redis: str | RedisConnection,
        *,
        namespace: str = "sleeve:",
        connect_timeout: float = 0.25,
        socket_timeout: float = 0.5,
        scan_batch: int = 500,
    ) -> None:
        self._owned = isinstance(redis, str)
        self._connection = (
            RedisConnection(redis, connect_timeout=connect_timeout, socket_timeout=socket_timeout)
            if isinstance(redis, str)
            else redis
        )
        self._redis = self._connection.redis
        self._prefix = key_bytes(namespace)
        self._counters = self._prefix + b"counters"
        self._scan_batch = scan_batch
        self._delete_if_equal = self._redis.register_script(_DELETE_IF_EQUAL)

    def entry_key(self, key: str) -> bytes:
        """The Redis key holding the entry for ``key``."""
        return self._prefix + b"e:" + key_bytes(key)

    def lock_key(self, name: str) -> bytes:
        """The Redis key holding the lock ``name``."""
        return self._prefix + b"l:" + key_bytes(name)

    async def get(self, key: str) -> CachedAnswer | None:
        redis_key = self.entry_key(key)
        data = await self._call(self._redis.get(redis_key))
        if data is None:
            return None
        try:
            answer = CachedAnswer.decode(data)
        except CorruptEntry:
            await self._call(self._delete_if_equal(keys=[redis_key], args=[data]))
            return None
        return answer if answer.keep_until > time.time() else None

    async def put(self, key: str, answer: CachedAnswer) -> None:
        redis_key, value = self.entry_key(key), answer.encode()
        ttl_ms = int((answer.keep_until - time.time()) * 1000)
        if ttl_ms <= 0:
            await self._call(self._redis.unlink(redis_key))
            return
        await self._call(self._redis.set(redis_key, value, px=ttl_ms))

    async def delete(self, key: str) -> bool:
        redis_key = self.entry_key(key)
        return bool(await self._call(self._redis.unlink(redis_key)))

    async def purge_prefix(self, prefix: str) -> int:
        """``SCAN`` for the escaped prefix, ``UNLINK`` page by page.

        Not atomic: entries written meanwhile under the prefix may survive. ``UNLINK``
        answers how many keys it removed, so keys ``SCAN`` repeats are counted once.
        """
        pattern = glob_escape(self.entry_key(prefix)) + b"*"
        dropped = 0
        async for batch in self._scan(pattern):
            dropped += await self._call(self._redis.unlink(*batch))
        return dropped

    async def try_lock(self, name: str, ttl: float) -> str | None:
        token, lock_key = secrets.token_hex(16), self.lock_key(name)
        ttl_ms = max(1, round(ttl * 1000))
        acquired = await self._call(self._redis.set(lock_key, token, nx=True, px=ttl_ms))
        return token if acquired else None

    async def unlock(self, name: str, token: str) -> bool:
        lock_key = self.lock_key(name)
        released = await self._call(self._delete_if_equal(keys=[lock_key], args=[token]))
        return bool(released)

    async def incr(self, counter: str, amount: int = 1) -> None:
        field = key_bytes(counter)
        await self._call(self._redis.hincrby(self._counters, field, amount))

    async def counters(self, prefix: str = "") -> dict[str, int]:
        fields = await self._call(self._redis.hgetall(self._counters))
        found = {key_text(name): int(value) for name, value in fields.items()}
        return {name: value for name, value in found.items() if name.startswith(prefix)}

    async def healthy(self) -> bool:
        return await self._connection.healthy()

    async def close(self) -> None:
        """Close the connection if it is the store's own; a shared one closes with the app."""
        if self._owned:
            await self._connection.close()

    async def _scan(self, pattern: bytes) -> AsyncIterator[list[bytes]]:
        cursor = 0
        while True:
            page = self._redis.scan(cursor, match=pattern, count=self._scan_batch)
            cursor, keys = await self._call(page)
            if keys:
                yield keys
            if cursor == 0:
                return

    async def _call(self, command: Awaitable[Any]) -> Any:
        return await self._connection.call(command, "Redis cache")
