"""The ``Cover Art Archive`` operations, at the archive's own paths.

Listings are JSON (406 when the client's ``Accept`` rules JSON out); images come from
sleeve's store, as bytes or — with ``images.cover_art_delivery: redirect`` — as a 307 to
the kept copy. ``OPTIONS`` says what the archive's documentation promises (its own
server never did).
"""

from __future__ import annotations

import math
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sleeve.cache.http_caching import if_none_match
from sleeve.coverart.paths import image_request
from sleeve.coverart.service import CoverArt
from sleeve.errors import GatewayError
from sleeve.images.responses import ImageFileResponse

ALLOW = "GET, HEAD, OPTIONS"
IMMUTABLE = "public, max-age=31536000, immutable"


class CoverArtHandlers:
    def __init__(self, cover_art: CoverArt, *, delivery: str = "bytes") -> None:
        self._cover_art = cover_art
        self._delivery = delivery

    async def get_release_cover_art(self, request: Request, mbid: str) -> Response:
        _check_accepts_json(request.headers.get("accept"))
        return await self._cover_art.listing(request, "release", mbid)

    async def get_release_group_cover_art(self, request: Request, mbid: str) -> Response:
        _check_accepts_json(request.headers.get("accept"))
        return await self._cover_art.listing(request, "release-group", mbid)

    async def get_release_cover_image(self, request: Request, mbid: str, image: str) -> Response:
        return await self._image(request, "release", mbid, image)

    async def get_release_group_cover_image(
        self, request: Request, mbid: str, image: str
    ) -> Response:
        return await self._image(request, "release-group", mbid, image)

    async def options_cover_art(self, **_: str) -> Response:
        return Response(status_code=200, headers={"Allow": ALLOW})

    head_release_cover_art = get_release_cover_art_slash = get_release_cover_art
    head_release_cover_art_slash = get_release_cover_art
    head_release_group_cover_art = get_release_group_cover_art_slash = get_release_group_cover_art
    head_release_group_cover_art_slash = get_release_group_cover_art
    head_release_cover_image = get_release_cover_image
    head_release_group_cover_image = get_release_group_cover_image
    options_release_cover_art = options_release_cover_art_slash = options_cover_art
    options_release_group_cover_art = options_release_group_cover_art_slash = options_cover_art
    options_release_cover_image = options_release_group_cover_image = options_cover_art

    async def _image(self, request: Request, entity: str, mbid: str, image: str) -> Response:
        wanted = image_request(entity, mbid, image)
        if wanted is None:
            raise GatewayError(404, f"No such image: {image}.")
        found = await self._cover_art.image(wanted)
        etag = f'"{found.stored.digest}"'
        max_age = max(0, math.floor(found.fresh_until - time.time()))
        headers = {
            "ETag": etag,
            "Cache-Control": IMMUTABLE if found.immutable else f"public, max-age={max_age}",
        }
        if self._delivery == "redirect":
            # Behind a proxy, where clients reach sleeve (as the listing's URLs say).
            base = self._cover_art.public_base(request)
            location = f"{base}/_sleeve/blobs/{found.stored.digest}"
            return RedirectResponse(location, status_code=307, headers=headers)
        if if_none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        path = await self._cover_art.blobs.path(found.stored.digest)
        if path is None:  # removed between the lookup and now: the next request refetches
            raise GatewayError(503, "The image is being replaced; try again.", {"Retry-After": "1"})
        return ImageFileResponse(path, media_type=found.stored.content_type, headers=headers)


def _check_accepts_json(accept: str | None) -> None:
    """406 unless ``Accept`` admits JSON (no ``Accept`` admits everything)."""
    if not accept:
        return
    for media_range in accept.split(","):
        media_type, _, parameters = media_range.partition(";")
        quality = parameters.replace(" ", "").lower().partition("q=")[2]  # "Q=" is "q="
        if media_type.strip().lower() in ("application/json", "application/*", "*/*") and (
            not quality or _as_float(quality) > 0
        ):
            return
    raise GatewayError(406, "The listing is only available as application/json.")


def _as_float(value: str) -> float:
    try:
        return float(value.split(";", 1)[0])
    except ValueError:
        return 0.0
