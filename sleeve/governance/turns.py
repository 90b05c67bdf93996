"""Taking turns at the shared limiter: one caller per process at a time, clients first.

When many requests wait for an upstream slot, letting every one of them poll the shared
limiter turns each freed slot into a stampede: CPU spent on polling, and calls leaving
at scattered moments, which can squeeze more calls into one upstream window than the
limiter admitted. So a process lines its callers up: the head of the line waits for the
next slot, everyone else waits for the head. Clients line up before background work;
within a rank, first come, first served.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class TurnQueue:
    def __init__(self) -> None:
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._held = False
        self._order = itertools.count()

    async def acquire(self, rank: int, timeout: float) -> bool:
        """Wait for the turn (lower ``rank`` first); ``False`` if ``timeout`` ran out."""
        if not self._held:
            self._held = True
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._order), future))
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
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                return
        self._held = False

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, future in self._waiting if not future.done())
