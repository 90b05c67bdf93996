"""Discogs images: fetched once with sleeve's credentials, kept on disk, served from there.

The first request for an image reads its resource through the cache (which knows the
signed upstream URL), spends one unit of the daily image budget on the fetch, checks that
the bytes are an image, and stores them under their digest; thumbnails are made here
from the stored full image and stored too. Every later request — from any client, in any
process on this host — is answered from disk without asking Discogs anything.

Concurrent first requests for one image fetch it once: in a process through a shared
future, across processes through a store lock (waiters watch the name index).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from adapters.http import (
    HttpClient,
    UpstreamError,
    UpstreamTimeout,
    client_timeout,
)

from ..cache.store import CacheStore, StoreUnavailable
from ..errors import GatewayError
from ..governance.limiter import Admission, RateLimiter
from .blob_store import BlobStore
from .fetching import HostAllowList, checked_image
from .formats import thumbnail
from .names import NameIndex, StoredImage
from .single_flight import ImageFlights

logger = logging.getLogger("sleeve.images")

Document = Callable[[str], Awaitable[dict]]
Count = Callable[[str, str], None]
Fallback = Callable[[str, int, str], Awaitable[StoredImage | None]]
# When Discogs has no image (404), fails (502, 504) or its budget is spent (503), the
# chain goes on.
FALLBACK_ON = frozenset({404, 502, 503, 504})


class DiscogsImages:
    def __init__(
        self,
        *,
        document: Document,
        http: HttpClient,
        blobs: BlobStore,
        names: NameIndex,
        locks: CacheStore,
        budget: RateLimiter,
        budget_fallback: RateLimiter,
        allowed_hosts: Iterable[str],
        user_agent: str,
        timeout: float,
        max_bytes: int,
        count: Count,
        fallback: Fallback | None = None,
        sources: Sequence[str] = ("discogs",),
        lock_ttl: float = 30.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._document = document
        self._http = http
        self.blobs = blobs
        self._names = names
        self._flights = ImageFlights(
            names, blobs, locks, lock_ttl=lock_ttl, poll_interval=poll_interval
        )
        self.budget = budget
        self._budget_fallback = budget_fallback
        self._allowed = HostAllowList(allowed_hosts)
        self._headers = {"User-Agent": user_agent, "Accept": "image/*"}
        self._timeout = client_timeout(min(5.0, timeout), timeout)
        self._max_bytes = max_bytes
        self._count = count
        self._fallback = fallback
        self._sources = tuple(sources)

    async def image(self, kind: str, entity_id: int, index: int, size: int | None) -> StoredImage:
        """The stored image (fetching or making it first if need be)."""
        name = f"discogs/{kind}/{entity_id}/{index}/{size or 'full'}"
        stored = await self._stored(name)
        if stored is not None:
            self._record(kind, "hit")
            return stored
        return await self._once(name, lambda: self._make(name, kind, entity_id, index, size))

    def _record(self, kind: str, outcome: str) -> None:
        """Counted per kind, and per UTC day for the stats page's curve."""
        self._count(f"images:{kind}", outcome)
        self._count(f"images-day:{datetime.now(UTC):%Y-%m-%d}", outcome)

    async def _stored(self, name: str) -> StoredImage | None:
        return await self._flights.stored(name)

    async def _once(self, name: str, make: Callable[[], Awaitable[StoredImage]]) -> StoredImage:
        return await self._flights.once(name, make)

    async def _make(
        self, name: str, kind: str, entity_id: int, index: int, size: int | None
    ) -> StoredImage:
        if size is None:
            return await self._original(name, kind, entity_id, index)
        full_name = f"discogs/{kind}/{entity_id}/{index}/full"  # read here: no client hit
        full = await self._stored(full_name) or await self.image(kind, entity_id, index, None)
        original = await self.blobs.get(full.digest)
        if original is None:
            raise GatewayError(
                503, "The stored image went missing; try again.", {"Retry-After": "1"}
            )
        data, content_type = await asyncio.to_thread(thumbnail, original, size)
        self._record(kind, "thumbnail")
        stored = StoredImage(await self.blobs.put(data), content_type)
        await self._names.put(name, stored)
        return stored

    async def _original(self, name: str, kind: str, entity_id: int, index: int) -> StoredImage:
        """The full image from the first source of the chain that has it: Discogs itself
        (spending the budget) or, for a primary image, another source (``images.sources``).
        When none has it, Discogs' own answer (404, or 503 for a spent budget) stands."""
        chain = self._sources if index == 0 and self._fallback else ("discogs",)
        failure = GatewayError(404, f"No image {index} for {kind[:-1]} {entity_id}.")
        for source in chain:
            if source == "discogs":
                try:
                    data, content_type = await self._fetch(kind, entity_id, index)
                except GatewayError as exc:
                    if exc.status not in FALLBACK_ON:
                        raise
                    failure = exc
                    continue
                self._record(kind, "miss")
                stored = StoredImage(await self.blobs.put(data), content_type)
            else:
                assert self._fallback is not None
                found = await self._fallback(kind, entity_id, source)
                if found is None:
                    continue
                self._record(kind, "fallback")
                stored = found
            await self._names.put(name, stored)
            return stored
        raise failure

    async def _fetch(self, kind: str, entity_id: int, index: int) -> tuple[bytes, str]:
        url = await self._upstream_url(kind, entity_id, index)
        await self._spend_budget()
        try:
            answer = await self._http.get(
                "Discogs", url, params=[], headers=self._headers, timeout=self._timeout
            )
        except UpstreamTimeout as exc:
            raise GatewayError(504, str(exc)) from None
        except UpstreamError as exc:
            raise GatewayError(502, str(exc)) from None
        if answer.status == 429:
            retry_after = answer.headers.get("Retry-After", "")
            seconds = int(retry_after) if retry_after.isdigit() else 60
            await self._pause_budget(seconds)
            raise GatewayError(
                503,
                f"Discogs is limiting image fetches; try again in {seconds} s.",
                {"Retry-After": str(seconds)},
            )
        if answer.status != 200:
            raise GatewayError(502, f"Discogs answered {answer.status} for the image.")
        return await asyncio.to_thread(  # decoding takes a while: not on the event loop
            checked_image, answer.body, max_bytes=self._max_bytes, upstream="Discogs"
        )

    async def _upstream_url(self, kind: str, entity_id: int, index: int) -> str:
        document = await self._document(f"/{kind}/{entity_id}")
        images = document.get("images") or []
        uri = images[index].get("uri") if index < len(images) else None
        if not isinstance(uri, str) or not uri:
            raise GatewayError(404, f"Discogs has no image {index} for {kind[:-1]} {entity_id}.")
        if not self._allowed.allows(uri):
            logger.warning("refused an image URL on a host not allowed: %s", urlsplit(uri).hostname)
            raise GatewayError(502, "The image is on a host sleeve does not fetch from.")
        return uri

    async def _spend_budget(self) -> None:
        admission = await self._admit()
        if not admission.admitted:
            seconds = max(1, math.ceil(admission.retry_after))
            raise GatewayError(
                503,
                f"The daily Discogs image budget is spent; try again in {seconds} s.",
                {"Retry-After": str(seconds)},
            )

    async def _admit(self) -> Admission:
        try:
            return await self.budget.acquire()
        except StoreUnavailable:
            return await self._budget_fallback.acquire()

    async def _pause_budget(self, seconds: float) -> None:
        for limiter in (self.budget, self._budget_fallback):
            try:
                await limiter.pause(seconds)
            except StoreUnavailable:
                continue
