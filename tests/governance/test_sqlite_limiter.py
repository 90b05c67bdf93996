"""What only the SQLite backend promises: bounded rows, a restart that remembers, a loop
that never waits on the file, and failures reported as StoreUnavailable."""

from __future__ import annotations

import asyncio
import pathlib
import sqlite3
import time

import pytest

from sleeve.backends import StoreUnavailable
from sleeve.governance.sqlite_limiter import SQLiteLimiterBackend


async def test_rows_that_left_their_window_are_swept(tmp_path: pathlib.Path) -> None:
    """Many short-lived names (one per client address): the file keeps only the last
    window's admissions, however many names came and went."""
    async with SQLiteLimiterBackend(tmp_path / "limits.db", sweep_interval=0.0) as backend:
        for index in range(300):
            assert (await backend.limiter(f"client:{index}", 1, 0.01).acquire()).admitted
        await asyncio.sleep(0.05)
        await backend.limiter("last", 1, 60.0).acquire()  # an admission sweeps
        assert await backend.rows() == 1


async def test_an_acquire_drops_its_names_old_rows(tmp_path: pathlib.Path) -> None:
    async with SQLiteLimiterBackend(tmp_path / "limits.db", sweep_interval=3600) as backend:
        limiter = backend.limiter("api", 1000, 0.05)
        for _ in range(20):
            await limiter.acquire()
        await asyncio.sleep(0.1)
        assert (await limiter.acquire()).used == 1
        assert await backend.rows() == 1


async def test_a_restarted_gateway_remembers_what_it_spent(tmp_path: pathlib.Path) -> None:
    """The window and a pause are in the file, not the process: a restart (a new backend
    on the same file) cannot spend them again."""
    path = tmp_path / "limits.db"
    async with SQLiteLimiterBackend(path) as before:
        limiter = before.limiter("upstream:discogs", 2, 60.0)
        assert [(await limiter.acquire()).admitted for _ in range(2)] == [True, True]
        await before.limiter("upstream:musicbrainz", 1, 1.0).pause(30.0)
    async with SQLiteLimiterBackend(path) as after:
        assert not (await after.limiter("upstream:discogs", 2, 60.0).acquire()).admitted
        assert not (await after.limiter("upstream:musicbrainz", 1, 1.0).acquire()).admitted


async def test_a_locked_file_never_blocks_the_event_loop(tmp_path: pathlib.Path) -> None:
    """Another process holds the write lock for a while: the admission waits for it on
    the backend's thread, and the loop keeps running meanwhile."""
    path = tmp_path / "limits.db"
    async with SQLiteLimiterBackend(path) as backend:
        limiter = backend.limiter("api", 5, 60.0)
        assert (await limiter.acquire()).admitted  # creates the file
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        waiting = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "admitted while another process held the lock"
        other.execute("COMMIT")
        other.close()
        admission = await waiting
        ticking.cancel()
    assert admission.admitted and admission.used == 2
    assert ticks >= 5, "the event loop stalled while the file was locked"


async def test_a_lock_held_past_the_busy_timeout_is_store_unavailable(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "limits.db"
    async with SQLiteLimiterBackend(path, busy_timeout=0.2) as backend:
        limiter = backend.limiter("api", 5, 60.0)
        await limiter.acquire()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="limits"):
                await limiter.acquire()
            assert time.monotonic() - started < 5
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert (await limiter.acquire()).used == 2  # and it works again at once


async def test_a_file_that_is_not_a_database_is_unhealthy(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "limits.db"
    path.write_bytes(b"not a database, " * 256)
    async with SQLiteLimiterBackend(path) as backend:
        assert not await backend.healthy()
        with pytest.raises(StoreUnavailable):
            await backend.limiter("api", 1, 1.0).acquire()


async def test_a_closed_backend_refuses(tmp_path: pathlib.Path) -> None:
    backend = SQLiteLimiterBackend(tmp_path / "limits.db")
    await backend.limiter("api", 1, 1.0).acquire()
    await backend.close()
    await backend.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await backend.limiter("api", 1, 1.0).acquire()
