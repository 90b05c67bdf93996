"""The image store: images kept by name, each fetched once, served from this host's disk.

Three parts, one job each: :class:`~.blob_store.BlobStore` keeps bytes under their
SHA-256 (atomic, verified); :class:`~.names.NameIndex` says which blob a name
(``discogs/releases/1/0/full``, ``caa/url/<hash>``) stands for; and a
:class:`~sleeve.cache.single_flight.SingleFlight` over the shared store's locks makes
concurrent first requests for a name fetch it once, in a process and across processes.
Every upstream's images live here together (content-addressed: one file however many
names point at it).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import pathlib
from collections.abc import Awaitable, Callable

from ..cache.single_flight import SingleFlight
from ..cache.store import CacheStore
from ..errors import GatewayError
from .blob_store import BlobStore
from .fetching import checked_image
from .names import NameIndex, StoredImage

__all__ = ["ImageStore"]

logger = logging.getLogger("sleeve.images")

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class ImageStore:
    """Images under ``root`` (``blobs/`` and ``names/``); ``locks`` is the cache's store.

    ``max_bytes``: the largest image kept. ``lock_ttl``: how long a crashed fetcher in
    another process can hold others up.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        locks: CacheStore,
        *,
        max_bytes: int = 20 << 20,
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
    ) -> None:
        root = pathlib.Path(root)
        self.blobs = BlobStore(root / "blobs")
        self._names = NameIndex(root / "names")
        self._flights: SingleFlight[StoredImage] = SingleFlight(
            locks, prefix="image:", lock_ttl=lock_ttl, poll_interval=poll_interval
        )
        self.max_bytes = max_bytes

    async def stored(self, name: str) -> StoredImage | None:
        """The image kept under ``name``, if its bytes are still there."""
        stored = await self._names.get(name)
        if stored is None or await self.blobs.path(stored.digest) is None:
            return None
        return stored

    async def once(self, name: str, make: Callable[[], Awaitable[StoredImage]]) -> StoredImage:
        """The image under ``name``, made by ``make`` unless someone else makes it first."""
        stored, _ = await self._flights.run(name, make, lambda: self.stored(name))
        return stored

    async def keep(self, name: str, body: bytes, *, upstream: str) -> StoredImage:
        """Keep ``body`` from ``upstream`` under ``name`` if it is a whole image of a size
        sleeve keeps (:class:`~sleeve.errors.GatewayError` 502 if not)."""
        # A full decode (Pillow) can take seconds for a large scan: never on the event loop.
        data, content_type = await asyncio.to_thread(
            checked_image, body, max_bytes=self.max_bytes, upstream=upstream
        )
        return await self.keep_made(name, data, content_type)

    async def keep_made(self, name: str, data: bytes, content_type: str) -> StoredImage:
        """Keep bytes sleeve made itself (a thumbnail) under ``name``.

        A full disk (``ENOSPC``, a quota, a file-size limit) is 507 Insufficient Storage
        (RFC 4918 §11.5) and any other failure to write 503, both with ``Retry-After``:
        nothing half-written is kept (the blob store writes whole or not at all), and the
        next request tries again.
        """
        try:
            stored = StoredImage(await self.blobs.put(data), content_type)
            await self._names.put(name, stored)
        except OSError as exc:
            raise _not_kept(exc) from None
        return stored

    async def path(self, digest: str) -> pathlib.Path | None:
        """The file holding ``digest``'s bytes, verified, for streaming; None if gone."""
        return await self.blobs.path(digest)

    async def name(self, name: str, stored: StoredImage) -> None:
        """Let ``name`` stand for an image already kept (another source's)."""
        await self._names.put(name, stored)

    def sweep_temporaries(self) -> int:
        """What crashed writers left behind; blocks (call it off the loop, at start-up)."""
        return self.blobs.sweep_temporaries()


def _not_kept(exc: OSError) -> GatewayError:
    if exc.errno in _FULL:
        logger.error("the image store is full: %s", exc)
        return GatewayError(
            507, "sleeve's image store is full; try again later.", {"Retry-After": "3600"}
        )
    logger.error("an image could not be kept: %s", exc)
    return GatewayError(503, "sleeve could not keep the image; try again.", {"Retry-After": "60"})
