"""One Redis connection pool per process, for everything sleeve keeps there (cache, limits).

Fast failure is the point: a Redis that is down or stalled must cost a request
milliseconds, not a hang, so connects and reads have short timeouts and a refused
connection is retried once at most. Bursts are normal (every request takes a limiter
slot), so past ``max_connections`` calls in flight a call waits briefly for a pooled
connection instead of failing with "too many connections".

A Redis that is *stalled* (accepting connections, answering nothing) costs each call a
full ``socket_timeout``, and a request makes several: unchecked, it turns every request
into seconds. So after a failure the connection **rests**: for ``rest`` seconds every
call fails at once (its caller falls back: a cache miss, a per-process limit), then one
call at a time probes; each failed probe doubles the rest, up to ``max_rest``. The outage
is logged once when it starts and once when it ends, not once per request.

The cache store and the limiter backend take a :class:`RedisConnection` (the app opens
one and hands it to both) or a URL (they then open a connection of their own).
"""

from __future__ import annotations

import inspect
import logging
import time
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

logger = logging.getLogger("sleeve.backends")


class RedisConnection:
    """A Redis client owning its pool, with every failure as :class:`StoreUnavailable`.

    ``connect_timeout`` and ``socket_timeout`` (seconds) bound how long any call can take
    when Redis is down or stalled; ``rest`` and ``max_rest`` how long it is left alone
    after a failure (0: never). Share one per process: ``close`` closes the pool.

    Connecting gets a whole second: a burst of requests opens many connections at once,
    and a loaded machine can take longer than a quarter of a second to accept them; a
    timeout there would send the upstream limits to their per-process fallback (N
    processes: N times the limit) for nothing. What a stalled Redis costs stays small
    because the connection rests after the first failure.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 1.0,
        socket_timeout: float = 0.5,
        max_connections: int = 100,
        rest: float = 1.0,
        max_rest: float = 8.0,
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
        self._base_rest, self._max_rest = rest, max_rest
        self._rest = rest
        self._resting_until = 0.0
        self._probing = False
        self._down = False

    async def call(self, command: Awaitable[Any], what: str = "Redis") -> Any:
        """Await ``command`` with every Redis or socket failure as :class:`StoreUnavailable`,
        at once while the connection rests.

        ``Any``: redis-py types its replies loosely; each caller knows what it asked for.
        """
        probe = self._down
        if probe and (time.monotonic() < self._resting_until or self._probing):
            if inspect.iscoroutine(command):
                command.close()  # never sent: not even a "was never awaited" warning
            raise StoreUnavailable(f"{what} {self.where}: unavailable, resting")
        self._probing = probe
        try:
            result = await command
        except (RedisError, OSError) as exc:
            self._failed(exc)
            raise StoreUnavailable(f"{what} {self.where}: {exc}") from exc
        finally:
            if probe:
                self._probing = False
        if self._down:
            self._down, self._rest = False, self._base_rest
            logger.warning("Redis %s answers again", self.where)
        return result

    def _failed(self, exc: BaseException) -> None:
        if self._base_rest <= 0:
            return
        if not self._down:
            logger.warning("Redis %s unavailable (%s); resting %.1f s between tries",
                           self.where, exc, self._rest)  # fmt: skip
        else:
            self._rest = min(self._max_rest, self._rest * 2)
        self._down = True
        self._resting_until = time.monotonic() + self._rest

    async def healthy(self) -> bool:
        """Whether Redis answers now: a probe even while resting (so health checks tell
        the truth, and a Redis that is back is trusted again at once)."""
        self._resting_until = 0.0
        try:
            return bool(await self.call(self.redis.ping()))
        except StoreUnavailable:
            return False

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.redis.aclose()
