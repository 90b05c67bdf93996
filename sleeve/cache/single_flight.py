"""One run per key at a time, in this process and across processes sharing a store.

Concurrent misses for one key (an upstream answer, an image) must cost the upstream one
call. In a process, followers await the leader's run. Across processes, the leader holds
an expiring lock in the shared store while it works; the others poll for what it makes to
land, and go ahead themselves only once the lock is theirs — at the latest when its
time-to-live runs out, so a crashed leader delays them by at most that. Whoever takes the
lock looks once more before making anything: the previous holder may have just finished.

The run belongs to the flight, not to the caller who started it: a leader whose client
went away is cancelled alone, and the run goes on for the others.

A store that is down is no reason to fail: the run then goes ahead, coalesced within
the process only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from ..backends import StoreUnavailable
from .store import CacheStore

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Runs ``make`` once per key; lock names in the store are ``prefix + key``."""

    def __init__(
        self,
        locks: CacheStore,
        *,
        prefix: str,
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._locks = locks
        self._prefix = prefix
        self._lock_ttl = lock_ttl
        self._poll_interval = poll_interval
        self._in_flight: dict[str, asyncio.Task[tuple[T, bool]]] = {}

    def running(self, key: str) -> bool:
        """Whether this process is making ``key`` right now."""
        return key in self._in_flight

    async def run(
        self,
        key: str,
        make: Callable[[], Awaitable[T]],
        landed: Callable[[], Awaitable[T | None]],
    ) -> tuple[T, bool]:
        """``(result, joined)``: what ``make`` made, here or elsewhere (then ``landed``
        found it), and whether this call joined a run it did not start."""
        running = self._in_flight.get(key)
        if running is not None:
            result, _ = await asyncio.shield(running)
            return result, True
        task = asyncio.get_running_loop().create_task(self._across_processes(key, make, landed))
        self._in_flight[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[tuple[T, bool]]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # retrieved: the callers re-raise it, nobody logs it as lost

    async def _across_processes(
        self,
        key: str,
        make: Callable[[], Awaitable[T]],
        landed: Callable[[], Awaitable[T | None]],
    ) -> tuple[T, bool]:
        lock = self._prefix + key
        token = await self._try_lock(lock)
        deadline = time.monotonic() + self._lock_ttl
        while token is None and time.monotonic() < deadline:
            await asyncio.sleep(self._poll_interval)  # another process is making it
            found = await landed()
            if found is not None:
                return found, True
            token = await self._try_lock(lock)
        try:
            found = await landed()  # the last holder may have finished just now
            if found is not None:
                return found, True
            return await make(), False
        finally:
            if token:
                with contextlib.suppress(StoreUnavailable):  # it expires by itself
                    await self._locks.unlock(lock, token)

    async def _try_lock(self, name: str) -> str | None:
        try:
            return await self._locks.try_lock(name, self._lock_ttl)
        except StoreUnavailable:
            return ""  # no shared lock to be had: proceed, coalesced in-process only
