"""Forwarding a checked iTunes request and passing its answer on, through the cache.

Answers are Apple's JSON with one change: every ``artworkUrl…`` points at sleeve
(:mod:`.artwork`), so artwork comes through the image store. What sleeve adds is the
cache (keyed by the declared parameters in one order), the ~20 calls a minute kept across
processes, and honest errors: Apple's 400 passed on in its words, its rate limiting
(a 403, see :mod:`sleeve.adapters.itunes`) as 503 with ``Retry-After``, anything else
unusable as 502, a timeout as 504.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ..adapters.http import LARGE_BODY
from ..adapters.itunes import NAME, ITunesAdapter
from ..cache.answer_cache import Served
from ..cache.keys import Kind, cache_key
from ..errors import GatewayError, answer_error
from ..images.fetching import HostAllowList
from ..images.names import StoredImage
from ..images.store import ImageStore
from ..upstream import ProxiedUpstream
from ..url_rewriting import PublicBase
from .artwork import MAX_SIDE, artwork_on_sleeve, size_part, upstream_artwork
from .kinds import LOOKUP, SEARCH, UPSTREAM

__all__ = [
    "LOOKUP_PARAMETERS",
    "MEDIA_TYPE",
    "SEARCH_PARAMETERS",
    "ITunesService",
    "declared_query",
]

MEDIA_TYPE = "application/json"
#: What each path forwards (the contract declares exactly these; a test holds them equal).
SEARCH_PARAMETERS = (
    "term", "country", "media", "entity", "attribute", "limit", "lang", "version", "explicit",
)  # fmt: skip
LOOKUP_PARAMETERS = (
    "id", "upc", "amgArtistId", "amgAlbumId", "amgVideoId", "isbn", "bundleId", "entity", "limit",
    "sort", "country", "media", "attribute", "lang",
)  # fmt: skip
_KINDS: dict[str, tuple[Kind, tuple[str, ...]]] = {
    "/search": (SEARCH, SEARCH_PARAMETERS),
    "/lookup": (LOOKUP, LOOKUP_PARAMETERS),
}


class ITunesService:
    def __init__(
        self,
        adapter: ITunesAdapter,
        upstream: ProxiedUpstream,
        artwork: ProxiedUpstream,
        images: ImageStore,
        *,
        allowed_hosts: HostAllowList,
        public: PublicBase,
    ) -> None:
        self._adapter = adapter
        self._upstream = upstream
        self._artwork = artwork
        self._images = images
        self._allowed = allowed_hosts
        self.public = public

    async def forward(self, request: Request, path: str) -> Response:
        """GET ``path`` (``/search`` or ``/lookup``) with the request's declared parameters."""
        served = await self._served(path, declared_query(request, path))
        document = await _decoded(served.answer.body)
        body = json.dumps(_pointed_at(document, self.public.of(request))).encode()
        return self._upstream.respond(
            request, served, body, {"Vary": "Accept"}, media_type=MEDIA_TYPE
        )

    async def results(self, path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        """Apple's answer to ``path`` with ``query``, through the cache, for sleeve's own
        look-ups (the barcode search, the image source)."""
        return await _decoded((await self._served(path, query)).answer.body)

    async def _served(self, path: str, query: list[tuple[str, str]]) -> Served:
        kind, _ = _KINDS[path]
        served = await self._upstream.served(
            cache_key(UPSTREAM, path, query, None), kind, partial(self._adapter.get, path, query)
        )
        stored = served.answer
        if stored.status != 200:
            raise _error(stored.status, stored.body, dict(stored.headers))
        return served

    async def artwork(self, token: str, size: str) -> StoredImage:
        """The artwork a sleeve artwork URL names, from the store (fetched once)."""
        if size_part(size) is None:
            raise GatewayError(
                400, f"The size {size[:40]} is too large: at most {MAX_SIDE} px on a side."
            )
        wanted = upstream_artwork(token, size)
        if wanted is None:
            raise GatewayError(404, "No such artwork: the URL is not one sleeve gave out.")
        return await self.artwork_at(wanted.url)

    async def artwork_at(self, url: str) -> StoredImage:
        """The artwork at ``url`` on Apple's CDN, from the store (fetched once)."""
        if not self._allowed.allows(url):
            raise GatewayError(404, self._allowed.refusal(url, "The artwork"))
        name = "itunes/" + hashlib.sha256(url.encode()).hexdigest()
        stored = await self._images.stored(name)
        self._upstream.cache.count("images:itunes", "hit" if stored is not None else "miss")
        if stored is None:
            stored = await self._images.once(name, lambda: self._download(name, url))
        return stored

    async def _download(self, name: str, url: str) -> StoredImage:
        answer = await self._artwork.fetched(
            partial(self._adapter.image, url, max_bytes=self._images.max_bytes)
        )
        if answer.status == 404:
            raise GatewayError(404, "Apple has no artwork at this size.")
        if answer.status != 200:
            raise answer_error(f"{NAME} artwork", answer.status, answer.headers, passed=())
        return await self._images.keep(name, answer.body, upstream=NAME)


async def _decoded(body: bytes) -> dict[str, Any]:
    """A kept answer (checked to be a JSON object when it came), decoded off the event
    loop when it is large."""
    if len(body) > LARGE_BODY:
        return await asyncio.to_thread(json.loads, body)  # type: ignore[no-any-return]
    return json.loads(body)  # type: ignore[no-any-return]


def declared_query(request: Request, path: str) -> list[tuple[str, str]]:
    """The request's parameters that the contract declares for ``path``, as sent."""
    _, names = _KINDS[path]
    sent = parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    return [(name, value) for name, value in sent if name in names]


def _pointed_at(document: dict[str, Any], public_base: str) -> dict[str, Any]:
    """``document`` with every result's artwork URLs on sleeve."""
    results = document.get("results")
    if not isinstance(results, list):
        return document
    for result in results:
        if not isinstance(result, dict):
            continue
        for field, value in result.items():
            if field.startswith("artworkUrl") and isinstance(value, str):
                result[field] = artwork_on_sleeve(value, public_base)
    return document


def _error(status: int, body: bytes, headers: dict[str, str]) -> GatewayError:
    """The error a client gets for a non-200 iTunes answer."""
    said = None
    try:
        message = json.loads(body).get("errorMessage")
        said = message if isinstance(message, str) and message else None
    except (ValueError, AttributeError):
        pass
    return answer_error(NAME, status, headers, said=said, passed=(400,), retry_after=60)
