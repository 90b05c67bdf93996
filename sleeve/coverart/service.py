"""Cover Art Archive listings through the cache, and its images through the image store.

A listing is cached like any answer, with its image URLs pointed at sleeve. An image is
two steps: *where is it* — the archive's 307 for ``/release/<mbid>/front-250``, cached
like an answer (briefly when the answer is 404: no such art), so a week-long archive.org
outage still finds the way — and *the bytes* at that archive.org URL, fetched once
(following redirects only to allow-listed hosts), checked, and kept in the
content-addressed store under the URL, which names one file forever.

Status semantics are the archive's: 400 for a malformed MBID, 404 when there is no such
release or no chosen image, and 503 whenever sleeve cannot reach the archive and has no
copy of what was asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from starlette.requests import Request
from starlette.responses import Response

from adapters.coverart import NAME, CoverArtAdapter
from adapters.http import UpstreamResponse

from ..cache.answer_cache import AnswerCache, Served
from ..cache.keys import cache_key
from ..cached_response import cached_response
from ..errors import GatewayError, upstream_errors
from ..governance.gate import UpstreamGate
from ..hot_path import RenderedAnswers
from ..images.blob_store import BlobStore
from ..images.fetching import HostAllowList, checked_image
from ..images.names import NameIndex, StoredImage
from ..images.single_flight import ImageFlights
from ..url_rewriting import UrlRewriter
from .paths import ImageRequest

logger = logging.getLogger("sleeve.coverart")

CANONICAL_BASES = ("https://coverartarchive.org", "http://coverartarchive.org")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 5
RETRY_AFTER = 60
Count = Callable[[str, str], None]


@dataclass(frozen=True)
class CoverImage:
    """A kept image and how long the name it was asked by is sure to mean it."""

    stored: StoredImage
    fresh_until: float
    immutable: bool


class CoverArt:
    def __init__(
        self,
        adapter: CoverArtAdapter,
        cache: AnswerCache,
        gate: UpstreamGate,
        *,
        blobs: BlobStore,
        names: NameIndex,
        flights: ImageFlights,
        allowed_hosts: HostAllowList,
        max_bytes: int,
        count: Count,
        rendered: RenderedAnswers | None = None,
        public_url: str | None = None,
    ) -> None:
        self._adapter = adapter
        self._cache = cache
        self._gate = gate
        self.blobs = blobs
        self._names = names
        self._flights = flights
        self._allowed = allowed_hosts
        self._max_bytes = max_bytes
        self._count = count
        self._rendered = rendered
        self._public_url = public_url
        self._upstream_bases = (adapter.base_url, *CANONICAL_BASES)

    # --- listings -------------------------------------------------------------------------

    async def listing(self, request: Request, entity: str, mbid: str) -> Response:
        """The archive's JSON listing of ``entity``'s art, its URLs pointed at sleeve."""
        path = f"/{entity}/{mbid.lower()}"
        served = await self._served(path, "json", "caa-listing", self._follow_listing)
        stored = served.answer
        if stored.status == 404:
            raise GatewayError(404, f"No cover art found for {entity} {mbid}.")
        if stored.status != 200:
            raise _unavailable(f"{NAME} answered {stored.status}.")
        try:
            document = json.loads(stored.body)
        except ValueError:
            raise _unavailable(f"{NAME} sent a listing that is not JSON.") from None
        rewritten = UrlRewriter(self._upstream_bases, self.public_base(request)).body(document)
        body = json.dumps(rewritten, ensure_ascii=False, separators=(",", ":")).encode()
        return cached_response(
            request,
            served,
            body,
            {"Vary": "Accept"},  # a 406 for some, this for others
            media_type="application/json",
            kind="coverartarchive:caa-listing",
            rendered=self._rendered,
        )

    async def _follow_listing(self, path: str) -> UpstreamResponse:
        """The listing, following the archive's redirect to its ``index.json``."""
        url = f"{self._adapter.base_url}{path}"
        answer = await self._get(url, "application/json")
        for _ in range(MAX_HOPS):
            if answer.status not in REDIRECTS:
                return answer
            url = self._allowed_target(url, answer.headers.get("Location"))
            answer = await self._get(url, "application/json")
        raise _unavailable(f"{NAME} redirected too many times.")

    # --- images ---------------------------------------------------------------------------

    async def image(self, wanted: ImageRequest) -> CoverImage:
        """The image ``wanted`` names, from the store (fetched into it first if need be)."""
        path = wanted.upstream_path
        served = await self._served(path, "redirect", "caa-image", self._locate)
        located = served.answer
        if located.status == 404:
            raise GatewayError(404, _no_image(wanted))
        if located.status not in REDIRECTS:
            raise _unavailable(f"{NAME} answered {located.status} for {path}.")
        url = self._allowed_target(
            f"{self._adapter.base_url}{path}", dict(located.headers).get("Location")
        )
        name = "caa/url/" + hashlib.sha256(url.encode()).hexdigest()
        stored = await self._flights.stored(name)
        self._count("images:coverart", "hit" if stored is not None else "miss")
        if stored is None:
            stored = await self._flights.once(name, lambda: self._download(name, url))
        return CoverImage(stored, located.fresh_until, wanted.immutable)

    async def _locate(self, path: str) -> UpstreamResponse:
        """Where the archive keeps the image: its redirect (a mirror that answers with the
        bytes themselves is treated as pointing at itself)."""
        answer = await self._get(f"{self._adapter.base_url}{path}", "image/*")
        if answer.status == 200:
            return UpstreamResponse(307, {"Location": f"{self._adapter.base_url}{path}"}, b"")
        return answer

    async def _download(self, name: str, url: str) -> StoredImage:
        for _ in range(MAX_HOPS):
            with upstream_errors(unreachable_status=503, timeout_status=503):
                answer = await self._get(url, "image/*")
            if answer.status not in REDIRECTS:
                break
            url = self._allowed_target(url, answer.headers.get("Location"))
        else:
            raise _unavailable(f"{NAME} redirected too many times.")
        if answer.status == 404:
            raise GatewayError(404, "The archive does not have this image (yet).")
        if answer.status != 200:
            raise _unavailable(f"The image host answered {answer.status}.")
        # checked_image decodes the whole image (Pillow): seconds for a large scan, so never
        # on the event loop, where it would stall every other request.
        data, content_type = await asyncio.to_thread(
            checked_image, answer.body, max_bytes=self._max_bytes, upstream=NAME
        )
        stored = StoredImage(await self.blobs.put(data), content_type)
        await self._names.put(name, stored)
        return stored

    # --- shared ---------------------------------------------------------------------------

    def public_base(self, request: Request) -> str:
        """Where clients reach sleeve (``server.public_url`` behind a proxy), no final ``/``."""
        return (self._public_url or str(request.base_url)).rstrip("/")

    async def _served(
        self,
        path: str,
        variant: str,
        kind: str,
        fetch: Callable[[str], Awaitable[UpstreamResponse]],
    ) -> Served:
        async def fetched() -> UpstreamResponse:
            return await fetch(path)

        with upstream_errors(unreachable_status=503, timeout_status=503):
            return await self._cache.get(
                cache_key(path, [], variant), f"coverartarchive:{kind}", fetched
            )

    async def _get(self, url: str, accept: str) -> UpstreamResponse:
        return await self._gate.call(lambda: self._adapter.get(url, accept=accept))

    def _allowed_target(self, url: str, location: str | None) -> str:
        """The redirect's target, if it is on a host sleeve fetches from."""
        if not location:
            raise _unavailable(f"{NAME} sent a redirect without a Location.")
        target = urljoin(url, location)
        if not self._allowed.allows(target):
            logger.warning("refused a redirect to a host not allowed: %s", target)
            raise GatewayError(502, f"{NAME} pointed at a host sleeve does not fetch from.")
        return target


def _no_image(wanted: ImageRequest) -> str:
    if wanted.which in ("front", "back"):
        return f"No {wanted.which} image has been chosen for {wanted.entity} {wanted.mbid}."
    return f"No image {wanted.which} for {wanted.entity} {wanted.mbid}."


def _unavailable(message: str) -> GatewayError:
    return GatewayError(503, message, {"Retry-After": str(RETRY_AFTER)})
