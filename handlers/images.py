"""The ``Images`` operations: images kept by sleeve, with conditional and range requests.

``/images/{kind}/{entity_id}/{index}`` is a Discogs entity's image (``kind`` is its
collection: releases, masters, artists, labels), for clients with a key;
``/_sleeve/blobs/{digest}`` is any kept image by its digest, public (the name is the
content).
"""

from __future__ import annotations

import asyncio
import pathlib

from starlette.requests import Request
from starlette.responses import Response

from sleeve.discogs.images import DiscogsImages
from sleeve.errors import GatewayError
from sleeve.governance.clients import STATE_KEY, Client
from sleeve.images.formats import sniff
from sleeve.images.responses import image_response
from sleeve.images.store import ImageStore


class ImageHandlers:
    def __init__(self, images: DiscogsImages, store: ImageStore, *, require_key: bool) -> None:
        self._images = images
        self._store = store
        self._require_key = require_key

    async def get_image(
        self, request: Request, kind: str, entity_id: int, index: int, size: int | None = None
    ) -> Response:
        self._check_key(request)
        stored = await self._images.image(kind, entity_id, index, size)
        return image_response(
            request,
            await self._store.path(stored.digest),
            digest=stored.digest,
            content_type=stored.content_type,
        )

    async def head_image(
        self, request: Request, kind: str, entity_id: int, index: int, size: int | None = None
    ) -> Response:
        return await self.get_image(request, kind, entity_id, index, size)

    async def get_blob(self, request: Request, digest: str) -> Response:
        path = await self._store.path(digest)
        if path is None:
            raise GatewayError(404, "sleeve keeps nothing under this digest.")
        content_type = sniff(await asyncio.to_thread(_first_bytes, path)) or "image/jpeg"
        return image_response(request, path, digest=digest, content_type=content_type)

    async def head_blob(self, request: Request, digest: str) -> Response:
        return await self.get_blob(request, digest)

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
