"""What only the SQLite backend promises: a bound, several processes, crash safety."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sleeve.backends import StoreUnavailable
from sleeve.cache.sqlite_store import SQLiteStore
from tests.cache import sqlite_worker
from tests.cache.answers import answer

KIB = b"x" * 1000


@pytest.fixture
async def small_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """Room for about 19 answers of 1 KB; every hit counts as a use."""
    store = SQLiteStore(tmp_path / "cache.db", max_bytes=20_000, touch_interval=0.0)
    yield store
    await store.close()


async def test_the_file_is_wal_with_normal_sync(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cache.db")
    await store.put("k", answer())
    with sqlite3.connect(tmp_path / "cache.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    conn.close()
    await store.close()


async def test_total_bytes_stay_under_the_bound_and_newest_survive(
    small_store: SQLiteStore,
) -> None:
    for index in range(100):
        await small_store.put(f"k/{index}", answer(KIB))
        assert await small_store.stored_bytes() <= 20_000
    assert await small_store.stored_bytes() > 15_000
    survivors = [index for index in range(100) if await small_store.get(f"k/{index}")]
    assert survivors[-10:] == list(range(90, 100))
    assert 0 not in survivors


async def test_the_bound_counts_replacements_and_deletes(small_store: SQLiteStore) -> None:
    await small_store.put("k", answer(KIB))
    first = await small_store.stored_bytes()
    await small_store.put("k", answer(KIB * 2))
    assert await small_store.stored_bytes() > first
    await small_store.delete("k")
    assert await small_store.stored_bytes() == 0


async def test_recently_read_entries_are_evicted_last(small_store: SQLiteStore) -> None:
    for index in range(10):
        await small_store.put(f"k/{index}", answer(KIB))
    assert await small_store.get("k/0") is not None
    for index in range(10, 20):
        await small_store.put(f"k/{index}", answer(KIB))
    assert await small_store.get("k/0") is not None
    assert await small_store.get("k/1") is None


async def test_expired_entries_are_evicted_before_live_ones(small_store: SQLiteStore) -> None:
    await small_store.put("live", answer(KIB))
    for index in range(15):
        await small_store.put(f"short/{index}", answer(KIB, keep_for=0.1, fresh_for=0.05))
    await asyncio.sleep(0.15)
    for index in range(5):
        await small_store.put(f"new/{index}", answer(KIB))
    assert await small_store.get("live") is not None


async def test_an_answer_larger_than_the_bound_is_not_stored(small_store: SQLiteStore) -> None:
    await small_store.put("small", answer(KIB))
    await small_store.put("huge", answer(KIB * 30))
    assert await small_store.get("huge") is None
    assert await small_store.get("small") is not None


async def test_drop_expired_gives_the_space_back(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cache.db")
    for index in range(5):
        await store.put(f"k/{index}", answer(KIB, keep_for=0.1, fresh_for=0.05))
    await store.put("live", answer(KIB))
    await asyncio.sleep(0.15)
    assert await store.drop_expired() == 5
    assert await store.stored_bytes() == len(b"live") + len(answer(KIB).encode())
    await store.close()


@pytest.mark.slow
def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path, rounds, max_bytes = str(tmp_path / "cache.db"), 500, 15_000
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(2)
    workers = [
        context.Process(target=sqlite_worker.hammer, args=(path, worker, rounds, max_bytes, ready))
        for worker in range(2)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
    assert [process.exitcode for process in workers] == [0, 0]
    asyncio.run(_check_after_hammer(path, 2 * rounds, max_bytes))


async def _check_after_hammer(path: str, operations: int, max_bytes: int) -> None:
    store = SQLiteStore(path, max_bytes=max_bytes)
    assert await store.counters() == {"ops": operations}
    assert 0 < await store.stored_bytes() <= max_bytes
    for index in range(sqlite_worker.SHARED_KEYS):
        got = await store.get(f"shared/{index}")
        assert got is None or got.body.startswith(b"worker ")
    await store.close()


@pytest.mark.slow
def test_a_killed_writer_leaves_only_whole_entries(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.db")
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    writer = context.Process(target=sqlite_worker.write_until_killed, args=(path, started))
    writer.start()
    assert started.wait(timeout=30)
    writer.kill()
    writer.join()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        written = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    conn.close()
    assert written >= 20
    asyncio.run(_check_whole_entries(path, written))


async def _check_whole_entries(path: str, written: int) -> None:
    store = SQLiteStore(path)
    for index in range(written):
        got = await store.get(f"crash/{index}")
        assert got is not None
        assert got.body == bytes([index % 256]) * 200_000
    await store.close()


async def test_a_busy_writer_makes_writes_unavailable_but_reads_go_on(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cache.db", busy_timeout=0.1)
    await store.put("k", answer())
    other = sqlite3.connect(tmp_path / "cache.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="locked"):
            await store.put("k2", answer())
        assert time.monotonic() - started < 1
        assert await store.get("k") is not None
    finally:
        other.execute("ROLLBACK")
        other.close()
    await store.put("k2", answer())
    await store.close()


async def test_an_unusable_path_is_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "missing" / "cache.db")
    assert await store.healthy() is False
    with pytest.raises(StoreUnavailable, match="unable to open"):
        await store.get("k")
    await store.close()


async def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "cache.db").write_bytes(b"definitely not sqlite" * 500)
    store = SQLiteStore(tmp_path / "cache.db")
    assert await store.healthy() is False
    with pytest.raises(StoreUnavailable):
        await store.put("k", answer())
    await store.close()


async def test_a_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cache.db")
    await store.put("k", answer())
    await store.close()
    assert await store.healthy() is False
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.get("k")
