"""One run per key: within a process, across processes sharing a store, and through a
leader's cancellation. A real SQLite store holds the locks; ``make`` and ``landed`` are
the caller's (here: functions over a dict standing for what was kept)."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator

import pytest

from sleeve.cache.single_flight import SingleFlight
from sleeve.cache.sqlite_store import SQLiteStore


class Maker:
    """Makes ``value`` (waiting for ``release`` if set), keeps it, counts its runs."""

    def __init__(self, kept: dict[str, str], value: str) -> None:
        self.kept, self.value, self.runs = kept, value, 0
        self.release: asyncio.Event | None = None

    async def make(self) -> str:
        self.runs += 1
        if self.release is not None:
            await self.release.wait()
        self.kept["k"] = self.value
        return self.value


@pytest.fixture
async def store(tmp_path: pathlib.Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "locks.db")
    yield opened
    await opened.close()


def flight(store: SQLiteStore) -> SingleFlight[str]:
    return SingleFlight(store, prefix="test:", lock_ttl=5.0, poll_interval=0.01)


async def until_running(maker: Maker) -> None:
    for _ in range(10_000):
        if maker.runs:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never ran")


async def test_what_landed_before_the_lock_was_taken_is_not_made_again(
    store: SQLiteStore,
) -> None:
    """A caller that missed just before another run finished looks once more with the
    lock in hand, and finds it: one fetch, never two."""
    kept: dict[str, str] = {}
    one, two = Maker(kept, "first"), Maker(kept, "second")
    runs = flight(store)
    assert await runs.run("k", one.make, lambda: _get(kept)) == ("first", False)
    assert await runs.run("k", two.make, lambda: _get(kept)) == ("first", True)
    assert (one.runs, two.runs) == (1, 0)


async def test_a_second_process_waits_for_the_first_and_takes_its_result(
    store: SQLiteStore, tmp_path: pathlib.Path
) -> None:
    kept: dict[str, str] = {}
    first, second = Maker(kept, "a"), Maker(kept, "b")
    first.release = asyncio.Event()
    async with SQLiteStore(tmp_path / "locks.db") as elsewhere:
        leading = asyncio.create_task(flight(store).run("k", first.make, lambda: _get(kept)))
        await until_running(first)
        waiting = asyncio.create_task(flight(elsewhere).run("k", second.make, lambda: _get(kept)))
        await asyncio.sleep(0.05)
        first.release.set()
        assert await leading == ("a", False)
        assert await waiting == ("a", True)
    assert second.runs == 0


async def test_a_cancelled_leader_does_not_cancel_its_followers(store: SQLiteStore) -> None:
    kept: dict[str, str] = {}
    maker = Maker(kept, "v")
    maker.release = asyncio.Event()
    runs = flight(store)
    leader = asyncio.create_task(runs.run("k", maker.make, lambda: _get(kept)))
    await until_running(maker)
    follower = asyncio.create_task(runs.run("k", maker.make, lambda: _get(kept)))
    await asyncio.sleep(0)
    leader.cancel()  # its client went away
    maker.release.set()
    assert await follower == ("v", True)
    assert leader.cancelled()
    assert maker.runs == 1 and kept == {"k": "v"}


async def test_a_failed_run_fails_every_caller_and_the_next_call_runs_again(
    store: SQLiteStore,
) -> None:
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise OSError("upstream gone")

    runs = flight(store)
    results = await asyncio.gather(
        *(runs.run("k", failing, _nothing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(result, OSError) for result in results) and calls == 1
    assert not runs.running("k")
    with pytest.raises(OSError):
        await runs.run("k", failing, _nothing)
    assert calls == 2


async def test_without_a_store_runs_are_still_one_per_process(tmp_path: pathlib.Path) -> None:
    closed = SQLiteStore(tmp_path / "gone.db")
    await closed.close()
    kept: dict[str, str] = {}
    maker = Maker(kept, "v")
    maker.release = asyncio.Event()
    runs = flight(closed)
    waiting = [asyncio.create_task(runs.run("k", maker.make, _nothing)) for _ in range(4)]
    await until_running(maker)
    maker.release.set()
    assert sorted(await asyncio.gather(*waiting)) == [("v", False)] + [("v", True)] * 3
    assert maker.runs == 1


async def _get(kept: dict[str, str]) -> str | None:
    return kept.get("k")


async def _nothing() -> str | None:
    return None
