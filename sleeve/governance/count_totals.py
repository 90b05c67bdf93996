"""Where processes add up their client request counts: Redis, or a SQLite file on one host.

:mod:`.shared_request_counts` hands each a batch of ``(key, amount, ttl)`` additions and
reads back each key's total after its addition; a key is one client's count of one
window, and lives ``ttl`` seconds (two windows). Both raise
:class:`~sleeve.backends.StoreUnavailable` when they cannot answer.
"""

from __future__ import annotations

import abc
import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from typing import TypeVar

from ..backends import Closeable, StoreUnavailable
from ..backends.redis import RedisConnection
from ..backends.sqlite import create_schema, open_database, transaction

__all__ = ["CountTotals", "RedisCountTotals", "SQLiteCountTotals"]

Addition = tuple[str, int, float]  # key, amount, seconds it lives
_T = TypeVar("_T")


class CountTotals(Closeable):
    @abc.abstractmethod
    async def add(self, additions: list[Addition]) -> list[int]:
        """Add every amount to its key; each key's total afterwards, in order."""

    @abc.abstractmethod
    async def healthy(self) -> bool:
        """Whether it answers right now; never raises."""


class RedisCountTotals(CountTotals):
    """One pipeline of ``INCRBY`` and ``EXPIRE`` per batch, over the process's pool."""

    def __init__(self, redis: RedisConnection, *, namespace: str = "sleeve") -> None:
        self._redis = redis
        self._prefix = f"{namespace}:requests:"

    async def add(self, additions: list[Addition]) -> list[int]:
        pipe = self._redis.redis.pipeline(transaction=False)
        for key, amount, ttl in additions:
            pipe.incrby(self._prefix + key, amount)
            pipe.expire(self._prefix + key, max(1, int(ttl) + 1))
        replies = await self._redis.call(pipe.execute(), "request counts")
        return [int(total) for total in replies[::2]]

    async def healthy(self) -> bool:
        return await self._redis.healthy()

    async def close(self) -> None:
        return None  # the connection is the app's, closed with it


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS request_counts (
        key TEXT PRIMARY KEY,
        total INTEGER NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS request_counts_by_expiry ON request_counts (expires_at)",
)
_ADD = """
INSERT INTO request_counts (key, total, expires_at) VALUES (?1, ?2, ?3)
ON CONFLICT (key) DO UPDATE SET total = total + ?2, expires_at = ?3
RETURNING total
"""
_SWEEP = "DELETE FROM request_counts WHERE expires_at < ?"


class SQLiteCountTotals(CountTotals):
    """A table in a file every worker of a host opens; one transaction per batch, on a
    thread of its own, expired keys dropped with every batch (a handful at a time)."""

    def __init__(self, path: str | PathLike[str], *, busy_timeout: float = 2.0) -> None:
        self._path = str(path)
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sleeve-counts")
        self._conn: sqlite3.Connection | None = None

    async def add(self, additions: list[Addition]) -> list[int]:
        return await self._run(lambda: self._add(additions))

    async def healthy(self) -> bool:
        try:
            await self._run(lambda: self._connection().execute("SELECT 1").fetchone())
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        def closing() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._thread, closing)
        self._thread.shutdown(wait=False)

    def _add(self, additions: list[Addition]) -> list[int]:
        now = time.time()
        with transaction(self._connection()) as conn:
            totals = [
                conn.execute(_ADD, (key, amount, now + ttl)).fetchone()[0]
                for key, amount, ttl in additions
            ]
            conn.execute(_SWEEP, (now,))
        return totals

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = open_database(self._path, busy_timeout=self._busy_timeout, cache_kib=1024)
            create_schema(conn, _SCHEMA, version=1, what="request counts")
            self._conn = conn
        return self._conn

    async def _run(self, call: Callable[[], _T]) -> _T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, call)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"request counts in {self._path}: {exc}") from exc
