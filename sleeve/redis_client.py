"""One way to connect to Redis, for everything sleeve keeps there (cache, limits).

Fast failure is the point: a Redis that is down or stalled must cost a request
milliseconds, not a hang, so connects and reads have short timeouts and a refused
connection is retried once at most. Bursts are normal (every request takes a limiter
slot), so past ``max_connections`` calls in flight a call waits briefly for a pooled
connection instead of failing with "too many connections".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def redis_client(
    url: str,
    *,
    connect_timeout: float = 0.25,
    socket_timeout: float = 0.5,
    max_connections: int = 100,
) -> Redis:
    """A client owning its pool: ``await client.aclose()`` closes both."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=connect_timeout,
        socket_connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


def without_credentials(url: str) -> str:
    """``url`` fit for error messages, which end up in logs: no user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
