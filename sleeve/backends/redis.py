"""One Redis connection pool per process, for everything sleeve keeps there (cache, limits).

Fast failure is the point: a Redis that is down or stalled must cost a request
milliseconds, not a hang, so connects and reads have short timeouts and a refused
connection is retried once at most. Bursts are normal (every request takes a limiter
slot), so past ``max_connections`` calls in flight a call waits briefly for a pooled
connection instead of failing with "too many connections".

The cache store and the limiter backend take a :class:`RedisConnection` (the app opens
one and hands it to both) or a URL (they then open a connection of their own).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from . import StoreUnavailable
from .urls import without_credentials

__all__ = ["RedisConnection"]


class RedisConnection:
    """A Redis client owning its pool, with every failure as :class:`StoreUnavailable`.

    ``connect_timeout`` and ``socket_timeout`` (seconds) bound how long any call can take
    when Redis is down or stalled. Share one per process: ``close`` closes the pool.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 0.25,
        socket_timeout: float = 0.5,
        max_connections: int = 100,
    ) -> None:
        self.where = without_credentials(url)
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=connect_timeout,
            socket_connect_timeout=connect_timeout,
            socket_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        self.redis: Redis = Redis.from_pool(pool)
        self._closed = False

    async def call(self, command: Awaitable[Any], what: str = "Redis") -> Any:
        """Await ``command`` with every Redis or socket failure as :class:`StoreUnavailable`.

        ``Any``: redis-py types its replies loosely; each caller knows what it asked for.
        """
        try:
            return await command
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"{what} {self.where}: {exc}") from exc

    async def healthy(self) -> bool:
        try:
            return bool(await self.call(self.redis.ping()))
        except StoreUnavailable:
            return False

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.redis.aclose()
