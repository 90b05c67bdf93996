"""Cover Art Archive listings through the cache, and its images through the image store.

A listing is cached like any answer, with its image URLs pointed at sleeve. An image is
two steps: *where is it* — the archive's 307 for ``/release/<mbid>/front-250``, cached
like an answer (briefly when the answer is 404: no such art), so a week-long archive.org
outage still finds the way — and *the bytes* at that archive.org URL, fetched once
(following redirects only to allow-listed hosts), checked, and kept in the
content-addressed image store under the URL, which names one file forever.

Status semantics are the archive's: 400 for a malformed MBID, 404 when there is no such
release or no chosen image, and 503 whenever sleeve cannot reach the archive and has no
copy of what was asked for.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin

from starlette.requests import Request
from starlette.responses import Response

from ..adapters.coverart import NAME, CoverArtAdapter
from ..adapters.http import UpstreamGarbage, UpstreamResponse, is_json_object
from ..cache.keys import cache_key
from ..errors import RETRY_UNREACHABLE_AFTER, GatewayError, answer_error
from ..images.fetching import HostAllowList
from ..images.names import StoredImage
from ..images.store import ImageStore
from ..upstream import ProxiedUpstream
from ..url_rewriting import PublicBase, UrlRewriter
from .kinds import IMAGE, LISTING, UPSTREAM
from .paths import ImageRequest

__all__ = ["CoverArtService", "CoverImage"]

logger = logging.getLogger("sleeve.coverart")

CANONICAL_BASES = ("https://coverartarchive.org", "http://coverartarchive.org")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 5


@dataclass(frozen=True)
class CoverImage:
    """A kept image and how long the name it was asked by is sure to mean it."""

    stored: StoredImage
    fresh_until: float
    immutable: bool


class CoverArtService:
    """The service behind every Cover Art Archive handler, and behind image fallbacks."""

    def __init__(
        self,
        adapter: CoverArtAdapter,
        upstream: ProxiedUpstream,
        images: ImageStore,
        *,
        allowed_hosts: HostAllowList,
        public: PublicBase,
    ) -> None:
        self._adapter = adapter
        self._upstream = upstream
        self.images = images
        self._allowed = allowed_hosts
        self.public = public
        self._upstream_bases = (adapter.base_url, *CANONICAL_BASES)

    async def listing(self, request: Request, entity: str, mbid: str) -> Response:
        """The archive's JSON listing of ``entity``'s art, its URLs pointed at sleeve."""
        path = f"/{entity}/{mbid.lower()}"
        served = await self._upstream.served_by(
            cache_key(UPSTREAM, path, [], "json"), LISTING, lambda: self._follow_listing(path)
        )
        stored = served.answer
        if stored.status == 404:
            raise GatewayError(404, f"No cover art found for {entity} {mbid}.")
        if stored.status != 200:
            raise _answer_error(stored.status, dict(stored.headers))
        try:
            document = json.loads(stored.body)
        except (ValueError, RecursionError):
            raise _unavailable(f"{NAME} sent a listing that is not JSON.") from None
        rewritten = UrlRewriter(self._upstream_bases, self.public.of(request)).body(document)
        body = json.dumps(rewritten, ensure_ascii=False, separators=(",", ":")).encode()
        # Vary: a 406 for some Accept values, this for others.
        return self._upstream.respond(
            request, served, body, {"Vary": "Accept"}, media_type="application/json"
        )

    async def image(self, wanted: ImageRequest) -> CoverImage:
        """The image ``wanted`` names, from the store (fetched into it first if need be)."""
        path = wanted.upstream_path
        served = await self._upstream.served_by(
            cache_key(UPSTREAM, path, [], "redirect"), IMAGE, lambda: self._locate(path)
        )
        located = served.answer
        if located.status == 404:
            raise GatewayError(404, _no_image(wanted))
        if located.status not in REDIRECTS:
            raise _answer_error(located.status, dict(located.headers))
        url = self._allowed_target(
            f"{self._adapter.base_url}{path}", dict(located.headers).get("Location")
        )
        name = "caa/url/" + hashlib.sha256(url.encode()).hexdigest()
        stored = await self.images.stored(name)
        self._upstream.cache.count("images:coverart", "hit" if stored is not None else "miss")
        if stored is None:
            stored = await self.images.once(name, lambda: self._download(name, url))
        return CoverImage(stored, located.fresh_until, wanted.immutable)

    async def _follow_listing(self, path: str) -> UpstreamResponse:
        """The listing, following the archive's redirect to its ``index.json``."""
        url = f"{self._adapter.base_url}{path}"
        answer = await self._get(url, "application/json")
        for _ in range(MAX_HOPS):
            if answer.status == 200 and not is_json_object(answer.body):
                raise UpstreamGarbage(
                    NAME, f"{NAME} sent a listing that is not JSON.", host=answer.host
                )
            if answer.status not in REDIRECTS:
                return answer
            url = self._allowed_target(url, answer.headers.get("Location"))
            answer = await self._get(url, "application/json")
        raise _unavailable(f"{NAME} redirected too many times.")

    async def _locate(self, path: str) -> UpstreamResponse:
        """Where the archive keeps the image: its redirect (a mirror that answers with the
        bytes themselves is treated as pointing at itself)."""
        url = f"{self._adapter.base_url}{path}"
        answer = await self._get(url, "image/*")
        if answer.status == 200:
            return UpstreamResponse(307, {"Location": url}, b"")
        if answer.status in REDIRECTS:  # checked before it is kept: a bad way is not kept
            self._allowed_target(url, answer.headers.get("Location"))
        return answer

    async def _download(self, name: str, url: str) -> StoredImage:
        for _ in range(MAX_HOPS):
            answer = await self._upstream.fetched(
                partial(self._adapter.get, url, accept="image/*", max_bytes=self.images.max_bytes)
            )
            if answer.status not in REDIRECTS:
                break
            url = self._allowed_target(url, answer.headers.get("Location"))
        else:
            raise _unavailable(f"{NAME} redirected too many times.")
        if answer.status == 404:
            raise GatewayError(404, "The archive does not have this image (yet).")
        if answer.status != 200:
            raise _answer_error(answer.status, answer.headers)
        return await self.images.keep(name, answer.body, upstream=NAME)

    async def _get(self, url: str, accept: str) -> UpstreamResponse:
        return await self._upstream.call(lambda: self._adapter.get(url, accept=accept))

    def _allowed_target(self, url: str, location: str | None) -> str:
        """The redirect's target, if it is on a host sleeve fetches from."""
        if not location:
            raise _unavailable(f"{NAME} sent a redirect without a Location.")
        target = urljoin(url, location)
        if not self._allowed.allows(target):
            logger.warning("refused a redirect to a host not allowed: %s", target)
            raise GatewayError(502, self._allowed.refusal(target, f"{NAME}'s redirect"))
        return target


def _no_image(wanted: ImageRequest) -> str:
    if wanted.which in ("front", "back"):
        return f"No {wanted.which} image has been chosen for {wanted.entity} {wanted.mbid}."
    return f"No image {wanted.which} for {wanted.entity} {wanted.mbid}."


def _answer_error(status: int, headers: Mapping[str, str]) -> GatewayError:
    """The archive's contract: whatever went wrong upstream, the client gets a 503."""
    return answer_error(NAME, status, headers, passed=(), otherwise=503)


def _unavailable(message: str) -> GatewayError:
    return GatewayError(503, message, {"Retry-After": str(RETRY_UNREACHABLE_AFTER)})
