"""The ``Images`` operations: images kept by sleeve, with conditional and range requests."""

from __future__ import annotations

import asyncio
import pathlib

from starlette.requests import Request
from starlette.responses import Response

from sleeve.cache.http_caching import if_none_match
from sleeve.clients import STATE_KEY, Client
from sleeve.errors import GatewayError
from sleeve.images.formats import sniff
from sleeve.images.responses import ImageFileResponse
from sleeve.images.service import DiscogsImages

IMMUTABLE = "public, max-age=31536000, immutable"


class ImageHandlers:
    def __init__(self, images: DiscogsImages, *, require_key: bool) -> None:
        self._images = images
        self._require_key = require_key

    async def get_image(
        self, request: Request, kind: str, entity_id: int, index: int, size: int | None = None
    ) -> Response:
        self._check_key(request)
        stored = await self._images.image(kind, entity_id, index, size)
        path = await self._images.blobs.path(stored.digest)
        if path is None:  # removed between the lookup and now: the next request refetches
            raise GatewayError(503, "The image is being replaced; try again.", {"Retry-After": "1"})
        etag = f'"{stored.digest}"'
        headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
        if if_none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return ImageFileResponse(path, media_type=stored.content_type, headers=headers)

    head_image = get_image

    async def get_blob(self, request: Request, digest: str) -> Response:
        """Kept bytes by digest: public (the name is the content), never changing."""
        path = await self._images.blobs.path(digest)
        if path is None:
            raise GatewayError(404, "sleeve keeps nothing under this digest.")
        headers = {"ETag": f'"{digest}"', "Cache-Control": IMMUTABLE}
        if if_none_match(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        content_type = sniff(await asyncio.to_thread(_first_bytes, path)) or "image/jpeg"
        return ImageFileResponse(path, media_type=content_type, headers=headers)

    head_blob = get_blob

    def _check_key(self, request: Request) -> None:
        client = request.scope.get("state", {}).get(STATE_KEY)
        if self._require_key and not (
            isinstance(client, Client) and client.identity.startswith("key:")
        ):
            raise GatewayError(
                401,
                "Images need a sleeve client key (X-Sleeve-Key).",
                {"WWW-Authenticate": "X-Sleeve-Key"},
            )


def _first_bytes(path: pathlib.Path) -> bytes:
    with path.open("rb") as file:
        return file.read(64)
