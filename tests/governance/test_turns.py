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


async def _order_of(turns: TurnQueue, arrivals: list[tuple[str, str, int]]) -> list[str]:
    """Line up ``(call, client, rank)`` in that order behind a held turn, then let them
    through one by one; the order they got the turn in."""
    assert await turns.acquire(CLIENT, timeout=1, client="holder")
    order: list[str] = []

    async def wait(call: str, client: str, rank: int) -> None:
        assert await turns.acquire(rank, timeout=5, client=client)
        order.append(call)
        turns.release()

    waiters = []
    for arrival in arrivals:
        waiters.append(asyncio.create_task(wait(*arrival)))
        await asyncio.sleep(0)  # arrive in this order
    await asyncio.sleep(0.01)
    turns.release()
    await asyncio.gather(*waiters)
    return order


async def test_a_crawl_does_not_starve_another_clients_lookup() -> None:
    crawl = [(f"crawl-{n}", "crawler", CLIENT) for n in range(1, 6)]
    order = await _order_of(TurnQueue(), [*crawl, ("lookup", "tagger", CLIENT)])
    assert order == ["crawl-1", "lookup", "crawl-2", "crawl-3", "crawl-4", "crawl-5"]


async def test_clients_take_rounds_and_background_work_still_comes_last() -> None:
    arrivals = [
        ("a1", "a", CLIENT), ("a2", "a", CLIENT), ("a3", "a", CLIENT),
        ("refresh", "", BACKGROUND),
        ("b1", "b", CLIENT), ("b2", "b", CLIENT),
        ("c1", "c", CLIENT),
    ]  # fmt: skip
    order = await _order_of(TurnQueue(), arrivals)
    assert order == ["a1", "b1", "c1", "a2", "b2", "a3", "refresh"]


async def test_a_client_arriving_late_joins_the_current_round() -> None:
    """Rounds already served give no credit: a newcomer is not put ahead of everyone for
    all the rounds it missed, only into the round being served."""
    turns = TurnQueue()
    assert await turns.acquire(CLIENT, timeout=1, client="holder")
    order: list[str] = []

    async def wait(call: str, client: str) -> None:
        assert await turns.acquire(CLIENT, timeout=5, client=client)
        order.append(call)
        if call == "a2":  # b arrives while a's second round is being served
            late.append(asyncio.create_task(wait("b1", "b")))
            late.append(asyncio.create_task(wait("b2", "b")))
            await asyncio.sleep(0.01)
        turns.release()

    late: list[asyncio.Task[None]] = []
    crawl = [asyncio.create_task(wait(f"a{n}", "a")) for n in range(1, 5)]
    await asyncio.sleep(0.01)
    turns.release()
    await asyncio.gather(*crawl)
    await asyncio.gather(*late)
    assert order == ["a1", "a2", "b1", "a3", "b2", "a4"]


async def test_the_line_forgets_clients_with_nothing_waiting() -> None:
    turns = TurnQueue()
    await _order_of(turns, [(f"c{n}", f"client-{n}", CLIENT) for n in range(100)])
    assert turns._last_round == {} and turns.waiting == 0
