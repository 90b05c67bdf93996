"""Discogs images: fetched once with sleeve's identity, kept on disk, served from there.

The first request for an image reads its resource through the cache (which knows the
signed upstream URL), checks the URL's host against the allow-list, and fetches it
through the image gate — the daily image budget, shared by every process, with the
breaker, retries and 429 pauses of any upstream — then keeps the bytes if they are a
whole image; thumbnails are made here from the kept full image and kept too. Every later
request — from any client, in any process on this host — is answered from disk without
asking Discogs anything. Concurrent first requests for one image fetch it once
(:class:`~sleeve.images.store.ImageStore`).

A release's or master's primary image may come from other sources too
(``images.sources``; :mod:`.image_sources`), tried in order: before Discogs they spare
the budget, after it they stand in when Discogs has no image or the budget is spent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from ..adapters.discogs import NAME, DiscogsAdapter
from ..errors import GatewayError, answer_error
from ..governance.limiter import RateLimiter
from ..images.fetching import HostAllowList
from ..images.formats import thumbnail
from ..images.names import StoredImage
from ..images.responses import image_being_replaced
from ..images.store import ImageStore
from ..upstream import ProxiedUpstream
from .service import DiscogsService

__all__ = ["DiscogsImages"]

logger = logging.getLogger("sleeve.images")

Count = Callable[[str, str], None]
OtherSource = Callable[[str, int, str], Awaitable[StoredImage | None]]
# When Discogs has no image (404), fails (502, 504) or its budget is spent (503), the
# chain goes on.
FALLBACK_ON = frozenset({404, 502, 503, 504})


class DiscogsImages:
    """The images of Discogs entities (``collection`` is ``releases``, ``masters``,
    ``artists`` or ``labels``), by index and size.

    ``fetches`` is the way image fetches go: a gate whose limit is the daily image budget;
    ``count`` counts outcomes with the cache's counters; ``sources`` is the chain a primary
    image comes from, where ``discogs`` is Discogs itself and any other name is asked of
    ``other_source``.
    """

    def __init__(
        self,
        discogs: DiscogsService,
        adapter: DiscogsAdapter,
        fetches: ProxiedUpstream,
        images: ImageStore,
        *,
        allowed_hosts: HostAllowList,
        count: Count,
        sources: Sequence[str] = ("discogs",),
        other_source: OtherSource | None = None,
    ) -> None:
        self._discogs = discogs
        self._adapter = adapter
        self._fetches = fetches
        self.images = images
        self._allowed = allowed_hosts
        self._count = count
        self._sources = tuple(sources) if other_source else ("discogs",)
        self._other_source = other_source

    @property
    def budget(self) -> RateLimiter:
        """The daily image budget, for the statistics."""
        return self._fetches.gate.limiter

    async def image(
        self, collection: str, entity_id: int, index: int, size: int | None
    ) -> StoredImage:
        """The kept image (fetching or making it first if need be)."""
        name = _name(collection, entity_id, index, size)
        stored = await self.images.stored(name)
        if stored is not None:
            self._record(collection, "hit")
            return stored
        if size is None:
            make = partial(self._original, name, collection, entity_id, index)
        else:
            make = partial(self._thumbnail, name, collection, entity_id, index, size)
        return await self.images.once(name, make)

    def _record(self, collection: str, outcome: str) -> None:
        """Counted per collection, and per UTC day for the stats page's curve."""
        self._count(f"images:{collection}", outcome)
        self._count(f"images-day:{datetime.now(UTC):%Y-%m-%d}", outcome)

    async def _thumbnail(
        self, name: str, collection: str, entity_id: int, index: int, size: int
    ) -> StoredImage:
        full_name = _name(collection, entity_id, index, None)  # read here: no client hit
        full = await self.images.stored(full_name) or await self.image(
            collection, entity_id, index, None
        )
        original = await self.images.blobs.get(full.digest)
        if original is None:
            raise image_being_replaced()
        data, content_type = await asyncio.to_thread(thumbnail, original, size)
        self._record(collection, "thumbnail")
        return await self.images.keep_made(name, data, content_type)

    async def _original(
        self, name: str, collection: str, entity_id: int, index: int
    ) -> StoredImage:
        """The full image from the first source of the chain that has it. When none has
        it, Discogs' own answer (404, or 503 for a spent budget) stands."""
        chain = self._sources if index == 0 else ("discogs",)
        failure = GatewayError(404, f"No image {index} for {collection[:-1]} {entity_id}.")
        for source in chain:
            if source == "discogs":
                try:
                    stored = await self._fetched(name, collection, entity_id, index)
                except GatewayError as exc:
                    if exc.status not in FALLBACK_ON:
                        raise
                    failure = exc
                    continue
                self._record(collection, "miss")
                return stored
            assert self._other_source is not None
            found = await self._other_source(collection, entity_id, source)
            if found is not None:
                self._record(collection, "fallback")
                await self.images.name(name, found)
                return found
        raise failure

    async def _fetched(self, name: str, collection: str, entity_id: int, index: int) -> StoredImage:
        url = await self._upstream_url(collection, entity_id, index)
        bound = self.images.max_bytes
        answer = await self._fetches.fetched(lambda: self._adapter.get_image(url, max_bytes=bound))
        if answer.status != 200:
            raise answer_error(NAME, answer.status, answer.headers, passed=())
        return await self.images.keep(name, answer.body, upstream=NAME)

    async def _upstream_url(self, collection: str, entity_id: int, index: int) -> str:
        document = await self._discogs.document(f"/{collection}/{entity_id}")
        images = (document.get("images") if isinstance(document, dict) else None) or []
        image = images[index] if index < len(images) else None
        uri = image.get("uri") if isinstance(image, dict) else None
        if not isinstance(uri, str) or not uri:
            raise GatewayError(
                404, f"Discogs has no image {index} for {collection[:-1]} {entity_id}."
            )
        if not self._allowed.allows(uri):
            logger.warning("refused an image URL on a host not allowed: %s", urlsplit(uri).hostname)
            raise GatewayError(502, self._allowed.refusal(uri, "The image"))
        return uri


def _name(collection: str, entity_id: int, index: int, size: int | None) -> str:
    return f"discogs/{collection}/{entity_id}/{index}/{size or 'full'}"
