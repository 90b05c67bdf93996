"""The ``Cover Art Archive`` operations, at the archive's own paths.

Listings are JSON (406 when the client's ``Accept`` rules JSON out); images come from
sleeve's store, as bytes or — with ``images.cover_art_delivery: redirect`` — as a 307 to
the kept copy. ``HEAD`` is ``GET`` without the body (Starlette drops it), and ``OPTIONS``
says what the archive's documentation promises (its own server never did). Every path
has a twin with a trailing slash, as the archive accepts both.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sleeve.cache.http_caching import cache_control
from sleeve.coverart.paths import image_request
from sleeve.coverart.service import CoverArtService
from sleeve.errors import GatewayError
from sleeve.images.responses import IMMUTABLE, image_response
from sleeve.images.store import ImageStore

ALLOW = "GET, HEAD, OPTIONS"


class CoverArtHandlers:
    def __init__(
        self, service: CoverArtService, store: ImageStore, *, delivery: str = "bytes"
    ) -> None:
        self._service = service
        self._store = store
        self._delivery = delivery

    # --- listings: /release/{mbid}, /release-group/{mbid} ------------------------------

    async def get_release_cover_art(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release", mbid)

    async def get_release_cover_art_slash(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release", mbid)

    async def head_release_cover_art(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release", mbid)

    async def head_release_cover_art_slash(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release", mbid)

    async def get_release_group_cover_art(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release-group", mbid)

    async def get_release_group_cover_art_slash(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release-group", mbid)

    async def head_release_group_cover_art(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release-group", mbid)

    async def head_release_group_cover_art_slash(self, request: Request, mbid: str) -> Response:
        return await self._listing(request, "release-group", mbid)

    # --- images: /release/{mbid}/{image}, /release-group/{mbid}/{image} -----------------

    async def get_release_cover_image(self, request: Request, mbid: str, image: str) -> Response:
        return await self._image(request, "release", mbid, image)

    async def head_release_cover_image(self, request: Request, mbid: str, image: str) -> Response:
        return await self._image(request, "release", mbid, image)

    async def get_release_group_cover_image(
        self, request: Request, mbid: str, image: str
    ) -> Response:
        return await self._image(request, "release-group", mbid, image)

    async def head_release_group_cover_image(
        self, request: Request, mbid: str, image: str
    ) -> Response:
        return await self._image(request, "release-group", mbid, image)

    # --- OPTIONS ------------------------------------------------------------------------

    async def options_release_cover_art(self) -> Response:
        return _options()

    async def options_release_cover_art_slash(self) -> Response:
        return _options()

    async def options_release_group_cover_art(self) -> Response:
        return _options()

    async def options_release_group_cover_art_slash(self) -> Response:
        return _options()

    async def options_release_cover_image(self) -> Response:
        return _options()

    async def options_release_group_cover_image(self) -> Response:
        return _options()

    # --- shared -------------------------------------------------------------------------

    async def _listing(self, request: Request, entity: str, mbid: str) -> Response:
        _check_accepts_json(request.headers.get("accept"))
        return await self._service.listing(request, entity, mbid)

    async def _image(self, request: Request, entity: str, mbid: str, image: str) -> Response:
        wanted = image_request(entity, mbid, image)
        if wanted is None:
            raise GatewayError(404, f"No such image: {image}.")
        found = await self._service.image(wanted)
        digest = found.stored.digest
        # An image id names one file forever; ``front`` may come to name another.
        lasting = IMMUTABLE if found.immutable else cache_control(found.fresh_until, time.time())
        if self._delivery == "redirect":
            # Behind a proxy, where clients reach sleeve (as the listing's URLs say).
            location = f"{self._service.public.of(request)}/_sleeve/blobs/{digest}"
            headers = {"ETag": f'"{digest}"', "Cache-Control": lasting}
            return RedirectResponse(location, status_code=307, headers=headers)
        return image_response(
            request,
            await self._store.path(digest),
            digest=digest,
            content_type=found.stored.content_type,
            cache_control=lasting,
        )


def _options() -> Response:
    return Response(status_code=200, headers={"Allow": ALLOW})


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
