"""Concurrent first requests for one image make it once, in a process and across processes.

In a process, followers await the leader's future. Across processes (several gateways on
one host share the image directory and the store), the leader holds a store lock with a
TTL while it fetches; the others watch the name index until the image appears or the lock
is theirs (a crashed leader delays them at most the TTL).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from ..cache.store import CacheStore, StoreUnavailable
from .blob_store import BlobStore
from .names import NameIndex, StoredImage


class ImageFlights:
    def __init__(
        self,
        names: NameIndex,
        blobs: BlobStore,
        locks: CacheStore,
        *,
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._names = names
        self._blobs = blobs
        self._locks = locks
        self._lock_ttl = lock_ttl
        self._poll_interval = poll_interval
        self._in_flight: dict[str, asyncio.Future[StoredImage]] = {}

    async def stored(self, name: str) -> StoredImage | None:
        """The image kept under ``name``, if its bytes are still there."""
        stored = await self._names.get(name)
        if stored is None or await self._blobs.path(stored.digest) is None:
            return None
        return stored

    async def once(self, name: str, make: Callable[[], Awaitable[StoredImage]]) -> StoredImage:
        """The image under ``name``, made by ``make`` unless someone else makes it first."""
        leader = self._in_flight.get(name)
        if leader is not None:
            return await asyncio.shield(leader)
        future: asyncio.Future[StoredImage] = asyncio.get_running_loop().create_future()
        self._in_flight[name] = future
        try:
            stored = await self._under_lock(name, make)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(stored)
            return stored
        finally:
            del self._in_flight[name]

    async def _under_lock(
        self, name: str, make: Callable[[], Awaitable[StoredImage]]
    ) -> StoredImage:
        lock = f"image:{name}"
        token = await self._try_lock(lock)
        deadline = asyncio.get_running_loop().time() + self._lock_ttl
        while token is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(self._poll_interval)  # another process is making it
            stored = await self.stored(name)
            if stored is not None:
                return stored
            token = await self._try_lock(lock)
        try:
            return await self.stored(name) or await make()
        finally:
            if token:
                with contextlib.suppress(StoreUnavailable):  # it expires by itself
                    await self._locks.unlock(lock, token)

    async def _try_lock(self, name: str) -> str | None:
        try:
            return await self._locks.try_lock(name, self._lock_ttl)
        except StoreUnavailable:
            return ""  # no shared lock to be had: coalesced in this process only
