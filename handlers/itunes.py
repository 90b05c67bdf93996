"""The ``iTunes`` operations: Apple's Search API at its own paths, and its artwork.

``/search`` and ``/lookup`` take Apple's parameters as Apple spells them (``amgArtistId``);
the document checks them, and the service forwards the declared ones. Artwork URLs in
answers point at ``/itunes/artwork/{token}/{size}``: change the size part to get another
size, as with Apple's own URLs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.errors import GatewayError
from sleeve.images.responses import IMMUTABLE, image_response
from sleeve.images.store import ImageStore
from sleeve.itunes.service import ITunesService

#: Apple looks up by one kind of id per request.
_LOOKUP_KEYS = ("id", "upc", "amgArtistId", "amgAlbumId", "amgVideoId", "isbn", "bundleId")


class ITunesHandlers:
    def __init__(self, service: ITunesService, store: ImageStore) -> None:
        self._service = service
        self._store = store

    async def search_itunes(self, request: Request, **params: Any) -> Response:
        return await self._service.forward(request, "/search")

    async def lookup_itunes(self, request: Request, **params: Any) -> Response:
        if not any(key in params for key in _LOOKUP_KEYS):
            raise GatewayError(400, "Give one of: " + ", ".join(_LOOKUP_KEYS) + ".")
        return await self._service.forward(request, "/lookup")

    async def get_itunes_artwork(self, request: Request, token: str, size: str) -> Response:
        stored = await self._service.artwork(token, size)
        return image_response(
            request,
            await self._store.path(stored.digest),
            digest=stored.digest,
            content_type=stored.content_type,
            cache_control=IMMUTABLE,
        )
