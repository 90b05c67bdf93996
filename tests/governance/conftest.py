"""Fixtures: every limiter behaviour test runs once per backend, against the real thing.

``limits`` opens backends onto one shared state. For Redis and SQLite each ``open()`` is
a new backend object (a connection of its own), a second process as far as the limiter
can tell; a process has one local backend, so for ``local`` every ``open()`` is that
same object.
"""

from __future__ import annotations

import abc
import asyncio
import pathlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from sleeve.governance.limiter import LimiterBackend
from sleeve.governance.local_limiter import LocalLimiterBackend
from sleeve.governance.redis_limiter import RedisLimiterBackend
from sleeve.governance.sqlite_limiter import SQLiteLimiterBackend
from tests.cache.redis_server import COMFORTABLE_TIMEOUTS, INSTALL_HINT, RedisServer

KINDS = ["local", "redis", "sqlite"]


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


class Limits(abc.ABC):
    """Opens backends onto one set of limits."""

    kind: str

    def __init__(self) -> None:
        self.opened: list[LimiterBackend] = []

    def open(self) -> LimiterBackend:
        backend = self._open()
        self.opened.append(backend)
        return backend

    async def close_all(self) -> None:
        """Close every backend opened, even when closing one fails (see the cache's
        ``Backend.close_all``: a leaked socket fails a later test)."""
        failures = [
            failure
            for failure in await asyncio.gather(
                *(backend.close() for backend in self.opened), return_exceptions=True
            )
            if failure is not None
        ]
        self.opened.clear()
        if failures:
            raise failures[0]

    @abc.abstractmethod
    def _open(self) -> LimiterBackend: ...


class LocalLimits(Limits):
    kind = "local"

    def __init__(self) -> None:
        super().__init__()
        self._backend = LocalLimiterBackend()

    def _open(self) -> LimiterBackend:
        return self._backend


class RedisLimits(Limits):
    kind = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.namespace = f"test-{uuid.uuid4().hex[:8]}:"

    def _open(self) -> LimiterBackend:
        # Not a test of Redis failing: room for a loaded machine (see COMFORTABLE_TIMEOUTS).
        return RedisLimiterBackend(self.url, namespace=self.namespace, **COMFORTABLE_TIMEOUTS)


class SQLiteLimits(Limits):
    kind = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="sleeve-limits-"))
        self.path = self.directory / "limits.db"

    def _open(self) -> LimiterBackend:
        return SQLiteLimiterBackend(self.path)

    async def close_all(self) -> None:
        try:
            await super().close_all()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def open_limits(kind: str, request: pytest.FixtureRequest) -> Limits:
    if kind == "local":
        return LocalLimits()
    if kind == "sqlite":
        return SQLiteLimits()
    return RedisLimits(request.getfixturevalue("redis_server").url)


@pytest.fixture(params=KINDS)
async def limits(request: pytest.FixtureRequest) -> AsyncIterator[Limits]:
    chosen = open_limits(request.param, request)
    yield chosen
    await chosen.close_all()


@pytest.fixture
async def backend(limits: Limits) -> LimiterBackend:
    """A backend with no limits used yet (closed by ``limits``)."""
    opened = limits.open()
    assert await opened.healthy()
    return opened
