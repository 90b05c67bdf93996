"""Rate limits shared through Redis by every sleeve process, on every host.

Layout, every key under ``namespace`` (default ``sleeve:``, beside the cache's keys)::

    {namespace}rl:{name}    ZSET    one member per admission, scored by its time (µs)
    {namespace}rlp:{name}   STRING  end of the pause (µs), PX until then

Names are :func:`~sleeve.backends.key_bytes`. Each operation is one Lua script, so it
is atomic, and each reads the time with ``redis.call('TIME')``: every process counts
on Redis's clock, never its own, so hosts whose clocks disagree still share one exact
window (only a step of the Redis host's own clock shifts it, once). Members are
``{µs}:{backend id}{n}``, unique even when two admissions share a microsecond. A log
expires a window after its newest admission and a pause when it ends, so idle names
cost Redis nothing; with ``maxmemory-policy allkeys-lru`` an evicted log forgets its
admissions, which lets at most one more window's worth through.

Failures are fast, as for :class:`~sleeve.cache.redis_store.RedisStore` (same timeouts,
one immediate reconnect, no backoff; beyond it, a bounded wait for a pooled connection
in bursts), and every one is
:class:`~sleeve.backends.StoreUnavailable`; the same object works again once Redis is
back. A reconnect can run a script twice if Redis ran it but the answer was lost: that
counts one call too many, which errs on the safe side.

Plain Redis (or a primary with replicas), not Redis Cluster: a script touches a name's
two keys, which Cluster would place in different slots.
"""

from __future__ import annotations

import itertools
import math
import secrets
from collections.abc import Awaitable
from typing import Any

from ..backends import key_bytes
from ..backends.redis import RedisConnection
from .limiter import Admission, LimiterBackend, RateLimiter
from .sliding_window import answer, check_reserve, pause_length

__all__ = ["RedisLimiterBackend"]

# Times are integers of microseconds on Redis's clock. A Lua number handed to
# redis.call or tostring becomes "%.14g" text, which drops the last digits of such a
# time, hence ``exact``. ``denied`` answers {0, live, now, blocking, newest, pause end}
# with -1 for a time that does not exist; it and the test before it mirror ``admits`` and
# ``blocking_rank`` in sliding_window.py.
_COMMON = """
local function clock()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function exact(n)
    return string.format('%.0f', n)
end

local function score_at(key, rank)
    return tonumber(redis.call('ZRANGE', key, rank, rank, 'WITHSCORES')[2])
end

local function pause_end(key)
    return tonumber(redis.call('GET', key) or '0')
end

-- Keep the log at least ``ms`` longer: never shorten it (a held slot counts from a time
-- to come, and must outlive the others' expiry).
local function keep_for(key, ms)
    if redis.call('PTTL', key) < tonumber(ms) then
        redis.call('PEXPIRE', key, ms)
    end
end

local function denied(key, first, live, now, paused_until, allowance)
    local blocking, newest = -1, -1
    if live > 0 then
        newest = score_at(key, first + live - 1)
        if live >= allowance then
            blocking = score_at(key, first + math.min(live - allowance, live - 1))
        end
    end
    return {0, live, now, blocking, newest, paused_until}
end
"""

# KEYS: log, pause. ARGV: limit, window µs, reserve, member suffix, window ms (rounded up),
# hold µs. Forget admissions that left the window, then record this one if it fits,
# counting from now + hold; the log lives a window past its newest admission. Replies
# {1, live, now, -1, newest, pause end, member}.
_ACQUIRE = (
    _COMMON
    + """
local allowance = tonumber(ARGV[1]) - tonumber(ARGV[3])
local now = clock()
local hold = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', exact(now - tonumber(ARGV[2])))
local live = redis.call('ZCARD', KEYS[1])
local paused_until = pause_end(KEYS[2])
if paused_until <= now and live < allowance then
    local member = exact(now) .. ':' .. ARGV[4]
    redis.call('ZADD', KEYS[1], exact(now + hold), member)
    keep_for(KEYS[1], exact(tonumber(ARGV[5]) + math.ceil(hold / 1000)))
    local newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
    return {1, live + 1, now, -1, newest, paused_until, member}
end
return denied(KEYS[1], 0, live, now, paused_until, allowance)
"""
)

# KEYS: log. ARGV: member, window ms. A held admission counts from now, if it is still in
# the log and counted from later (XX: never re-adds one that left).
_RELEASE = (
    _COMMON
    + """
local now = clock()
local counts_from = redis.call('ZSCORE', KEYS[1], ARGV[1])
if counts_from and tonumber(counts_from) > now then
    redis.call('ZADD', KEYS[1], 'XX', exact(now), ARGV[1])
    keep_for(KEYS[1], ARGV[2])
end
return 0
"""
)

# KEYS: log, pause. ARGV: limit, window µs, reserve. Reads only: the admissions that
# left the window are skipped, not removed; they rank before the live ones.
_PEEK = (
    _COMMON
    + """
local allowance = tonumber(ARGV[1]) - tonumber(ARGV[3])
local now = clock()
local total = redis.call('ZCARD', KEYS[1])
local live = redis.call('ZCOUNT', KEYS[1], '(' .. exact(now - tonumber(ARGV[2])), '+inf')
local paused_until = pause_end(KEYS[2])
if paused_until <= now and live < allowance then
    return {1, live + 1, now, -1, now, paused_until}
end
return denied(KEYS[1], total - live, live, now, paused_until, allowance)
"""
)

# KEYS: pause. ARGV: pause µs. The later of the running pause's end and now + pause.
_PAUSE = (
    _COMMON
    + """
local length = tonumber(ARGV[1])
local now = clock()
local ends = now + length
if ends > pause_end(KEYS[1]) then
    redis.call('SET', KEYS[1], exact(ends), 'PX', exact(math.ceil(length / 1000)))
end
return 0
"""
)


class RedisLimiterBackend(LimiterBackend):
    """:class:`LimiterBackend` in Redis: a shared :class:`RedisConnection`, or a URL
    (``redis://host:port/db`` or ``rediss://``) to open one of its own.

    ``connect_timeout`` and ``socket_timeout`` (seconds, for a connection of its own)
    bound how long any call can take when Redis is down or stalled before
    :class:`~sleeve.backends.StoreUnavailable`. Every request may take a slot, so bursts
    are common: past ``max_connections`` calls in flight, a call waits up to
    ``connect_timeout`` for a connection instead of failing at once.
    """

    def __init__(
        self,
        redis: str | RedisConnection,
        *,
        namespace: str = "sleeve:",
        connect_timeout: float = 0.25,
        socket_timeout: float = 0.5,
        max_connections: int = 100,
    ) -> None:
        self._owned = isinstance(redis, str)
        self._connection = (
            RedisConnection(
                redis,
                connect_timeout=connect_timeout,
                socket_timeout=socket_timeout,
                max_connections=max_connections,
            )
            if isinstance(redis, str)
            else redis
        )
        self._redis = self._connection.redis
        self._prefix = key_bytes(namespace)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._peek = self._redis.register_script(_PEEK)
        self._pause = self._redis.register_script(_PAUSE)
        self._id = secrets.token_hex(6)
        self._serial = itertools.count()

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        return _RedisLimiter(self, name, limit, window)

    def log_key(self, name: str) -> bytes:
        """The Redis key holding the admissions of ``name``."""
        return self._prefix + b"rl:" + key_bytes(name)

    def pause_key(self, name: str) -> bytes:
        """The Redis key holding the end of the pause of ``name``."""
        return self._prefix + b"rlp:" + key_bytes(name)

    async def healthy(self) -> bool:
        return await self._connection.healthy()

    async def close(self) -> None:
        """Close the connection if it is the backend's own; a shared one closes with the app."""
        if self._owned:
            await self._connection.close()

    def _member_suffix(self) -> str:
        return f"{self._id}{next(self._serial)}"

    async def _call(self, command: Awaitable[Any]) -> Any:
        return await self._connection.call(command, "Redis limiter")


class _RedisLimiter(RateLimiter):
    __slots__ = ("_backend", "_expire_ms", "_keys", "_window_us")

    def __init__(self, backend: RedisLimiterBackend, name: str, limit: int, window: float) -> None:
        super().__init__(name, limit, window)
        self._backend = backend
        self._keys = [backend.log_key(name), backend.pause_key(name)]
        self._window_us = max(1, round(self.window * 1e6))
        self._expire_ms = math.ceil(self._window_us / 1000)

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        check_reserve(reserve)
        backend = self._backend
        suffix = backend._member_suffix()
        hold_us = max(0, math.ceil(hold * 1e6))
        args: list[int | str] = [
            self.limit, self._window_us, reserve, suffix, self._expire_ms, hold_us,
        ]  # fmt: skip
        reply = await backend._call(backend._acquire(keys=self._keys, args=args))
        admission = self._answer(reply[:6])
        if admission.admitted and hold_us:
            member = reply[6]
            ticket = member.decode() if isinstance(member, bytes) else str(member)
            return admission._replace(ticket=ticket)
        return admission

    async def release(self, ticket: str) -> None:
        backend = self._backend
        args: list[int | str] = [ticket, self._expire_ms]
        await backend._call(backend._release(keys=self._keys[:1], args=args))

    async def peek(self, *, reserve: int = 0) -> Admission:
        check_reserve(reserve)
        args = [self.limit, self._window_us, reserve]
        backend = self._backend
        return self._answer(await backend._call(backend._peek(keys=self._keys, args=args)))

    async def pause(self, seconds: float) -> None:
        length_us = math.ceil(pause_length(seconds) * 1e6)
        if length_us > 0:
            pause = self._backend._pause(keys=self._keys[1:], args=[length_us])
            await self._backend._call(pause)

    async def reset(self) -> None:
        await self._backend._call(self._backend._redis.unlink(*self._keys))

    def _answer(self, reply: list[int]) -> Admission:
        """The script's facts, as seconds from Redis's ``now``, through ``answer``."""
        admitted, live, now, blocking, newest, paused_until = reply
        return answer(
            admitted=bool(admitted),
            live=live,
            limit=self.limit,
            window=self._window_us / 1e6,
            now=0.0,
            blocking=None if blocking < 0 else (blocking - now) / 1e6,
            newest=None if newest < 0 else (newest - now) / 1e6,
            paused_until=(paused_until - now) / 1e6 if paused_until > now else None,
        )
