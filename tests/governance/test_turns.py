"""Taking turns at the shared limiter: one at a time, clients before background work."""

from __future__ import annotations

import asyncio

from sleeve.governance.turns import TurnQueue

CLIENT, BACKGROUND = 0, 1


async def test_one_at_a_time_clients_first_then_in_arrival_order() -> None:
    turns = TurnQueue()
    assert await turns.acquire(CLIENT, timeout=1)
    order: list[str] = []

    async def wait(name: str, rank: int) -> None:
        assert await turns.acquire(rank, timeout=1)
        order.append(name)
        turns.release()

    waiters = [
        asyncio.create_task(wait(name, rank))
        for name, rank in (("refresh-1", BACKGROUND), ("client-1", CLIENT), ("client-2", CLIENT))
    ]
    await asyncio.sleep(0.01)
    assert turns.waiting == 3
    turns.release()
    await asyncio.gather(*waiters)
    assert order == ["client-1", "client-2", "refresh-1"]


async def test_a_waiter_gives_up_at_its_timeout_and_is_skipped() -> None:
    turns = TurnQueue()
    assert await turns.acquire(CLIENT, timeout=1)
    assert not await turns.acquire(CLIENT, timeout=0.01)
    turns.release()  # nobody left in line: the turn is free again
    assert await turns.acquire(BACKGROUND, timeout=0)


async def test_a_cancelled_waiter_does_not_keep_the_turn() -> None:
    turns = TurnQueue()
    assert await turns.acquire(CLIENT, timeout=1)
    waiter = asyncio.create_task(turns.acquire(CLIENT, timeout=5))
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    turns.release()
    assert await turns.acquire(CLIENT, timeout=0)
