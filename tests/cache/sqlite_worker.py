"""What a sleeve worker process does to the shared SQLite file, for the multi-process tests.

Module-level functions, so ``multiprocessing`` (spawn) can import them in a fresh child.
"""

from __future__ import annotations

import asyncio
from multiprocessing.synchronize import Barrier, Event

from sleeve.cache.sqlite_store import SQLiteStore
from tests.cache.answers import answer

SHARED_KEYS = 25


def hammer(path: str, worker: int, rounds: int, max_bytes: int, ready: Barrier) -> None:
    """Interleave puts, gets, counter increments and locks on keys the other worker uses.

    Workers open the file at the same moment (``ready``), so schema creation races too.
    """
    asyncio.run(_hammer(path, worker, rounds, max_bytes, ready))


async def _hammer(path: str, worker: int, rounds: int, max_bytes: int, ready: Barrier) -> None:
    store = SQLiteStore(path, max_bytes=max_bytes, touch_interval=0.0)
    ready.wait()
    try:
        for index in range(rounds):
            body = f"worker {worker} round {index} ".encode() * 20
            await store.put(f"shared/{index % SHARED_KEYS}", answer(body))
            got = await store.get(f"shared/{(index * 7) % SHARED_KEYS}")
            assert got is None or got.body.startswith(b"worker ")
            await store.incr("ops")
            token = await store.try_lock("fill", ttl=30)
            if token is not None:
                assert await store.unlock("fill", token)
    finally:
        await store.close()


def write_until_killed(path: str, started: Event) -> None:
    """Put large entries as fast as possible; the test kills this process midway."""
    asyncio.run(_write_until_killed(path, started))


async def _write_until_killed(path: str, started: Event) -> None:
    store = SQLiteStore(path)
    index = 0
    while True:
        await store.put(f"crash/{index}", answer(bytes([index % 256]) * 200_000))
        index += 1
        if index == 20:
            started.set()
