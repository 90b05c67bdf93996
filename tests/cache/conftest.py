"""Fixtures: every store behaviour test runs once per backend, against the real thing.

``store`` is a fresh, empty store; ``backend`` opens more stores onto the same data (a
second worker process, as far as the store can tell) and writes raw bytes under a key,
to play the part of a crash, a bug or another program.
"""

from __future__ import annotations

import abc
import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from sleeve.backends import key_bytes
from sleeve.cache import CacheStore
from sleeve.cache.redis_store import RedisStore
from sleeve.cache.sqlite_store import SQLiteStore
from tests.cache.redis_server import COMFORTABLE_TIMEOUTS, INSTALL_HINT, RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session. Missing binary: fail (not skip), saying why."""
    try:
        server = RedisServer()
    except FileNotFoundError:
        pytest.fail(INSTALL_HINT)
    server.start()
    yield server
    server.kill()


class Backend(abc.ABC):
    """Opens stores onto one backend's data and tampers with it behind their backs."""

    def __init__(self) -> None:
        self.opened: list[CacheStore] = []

    def open(self) -> CacheStore:
        store = self._open()
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        """Close every store opened, even when closing one fails: a store left open leaks
        its sockets, and their ``ResourceWarning`` fails whichever test runs when they are
        collected."""
        failures = [
            failure
            for failure in await asyncio.gather(
                *(store.close() for store in self.opened), return_exceptions=True
            )
            if failure is not None
        ]
        self.opened.clear()
        if failures:
            raise failures[0]

    @abc.abstractmethod
    def _open(self) -> CacheStore: ...

    @abc.abstractmethod
    async def write_raw(self, key: str, data: bytes) -> None:
        """Store ``data`` as the value under ``key``, bypassing the store's checks."""


class SQLiteBackend(Backend):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _open(self) -> CacheStore:
        return SQLiteStore(self.path, max_bytes=10_000_000)

    async def write_raw(self, key: str, data: bytes) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "INSERT INTO entries (key, keep_until, accessed_at, size, value) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key_bytes(key), time.time() + 60, time.time(), len(data), data),
            )
        conn.close()


class RedisBackend(Backend):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.namespace = f"test-{uuid.uuid4().hex[:8]}:"

    def _open(self) -> CacheStore:
        # Not a test of Redis failing: room for a loaded machine (see COMFORTABLE_TIMEOUTS).
        return RedisStore(self.url, namespace=self.namespace, **COMFORTABLE_TIMEOUTS)

    async def write_raw(self, key: str, data: bytes) -> None:
        async with RedisStore(self.url, namespace=self.namespace) as store:
            entry_key = store.entry_key(key)  # the layout is the store's to say
        async with Redis.from_url(self.url) as redis:
            await redis.set(entry_key, data, px=60_000)


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    chosen: Backend
    if request.param == "sqlite":
        chosen = SQLiteBackend(tmp_path / "cache.db")
    else:
        chosen = RedisBackend(request.getfixturevalue("redis_server").url)
    yield chosen
    await chosen.close_all()


@pytest.fixture
async def store(backend: Backend) -> CacheStore:
    """An empty store on the backend under test (closed by ``backend``)."""
    opened = backend.open()
    assert await opened.healthy()
    return opened
