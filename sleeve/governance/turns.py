"""Taking turns at the shared limiter: one caller per process at a time, clients first,
and among clients, each in its turn.

When many requests wait for an upstream slot, letting every one of them poll the shared
limiter turns each freed slot into a stampede: CPU spent on polling, and calls leaving
at scattered moments, which can squeeze more calls into one upstream window than the
limiter admitted. So a process lines its callers up: the head of the line waits for the
next slot, everyone else waits for the head. Clients line up before background work.

What is scarce is the upstream's limit, so the line is fair between clients rather than
first come, first served: a client's n-th waiting call goes in the n-th round, and the
rounds are served in order (fair queuing with one sequence number per client). One
client's crawl of 500 pages therefore cannot starve another's single lookup: that
lookup waits for at most one call of each other waiting client, not for the whole crawl.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["TurnQueue"]


class TurnQueue:
    def __init__(self) -> None:
        # (rank, round, arrival, client, future): lower rank first, then round, then arrival
        self._waiting: list[tuple[int, int, int, str, asyncio.Future[None]]] = []
        self._held = False
        self._order = itertools.count()
        self._round = 0  # the round of the call last handed the turn
        self._last_round: dict[str, int] = {}  # per client: the round of its latest call

    async def acquire(self, rank: int, timeout: float, client: str = "") -> bool:
        """Wait for the turn (lower ``rank`` first; within a rank, ``client``'s calls in
        rounds with everyone else's); ``False`` if ``timeout`` ran out."""
        if not self._held:
            self._held = True
            self._last_round[client] = self._round  # served in this round
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn = max(self._round, self._last_round.get(client, self._round - 1) + 1)
        self._last_round[client] = turn
        heapq.heappush(self._waiting, (rank, turn, next(self._order), client, future))
        try:
            await asyncio.wait_for(future, max(0.0, timeout))
        except TimeoutError:
            return False
        except BaseException:
            if future.done() and not future.cancelled():
                self.release()  # handed the turn just as we were cancelled: pass it on
            raise
        return True

    def release(self) -> None:
        """Pass the turn to the next in line, or free it."""
        while self._waiting:
            _, turn, _, _, future = heapq.heappop(self._waiting)
            if turn > self._round:
                self._round = turn
                self._forget_served()
            if not future.done():
                future.set_result(None)
                return
        self._held = False
        self._last_round.clear()

    def _forget_served(self) -> None:
        """Clients whose last call was in an earlier round are as new ones (their next
        call joins the current round): forgetting them keeps this map to the clients in
        line, or served in this round."""
        current = self._round
        self._last_round = {c: last for c, last in self._last_round.items() if last >= current}

    @property
    def waiting(self) -> int:
        return sum(1 for *_, future in self._waiting if not future.done())
