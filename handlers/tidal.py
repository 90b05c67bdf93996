"""The ``TIDAL`` operations: the API's catalog reads at its own paths (``/v2/…``).

Each operation names its path, the kind of answer (which picks its lifetime) and the
parameters it forwards, by their names on the wire (``filter[isrc]``, ``page[cursor]``):
connexion hands a handler those under sanitised names (``filter_isrc``), so the service
reads them from the query string itself.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.tidal.service import TidalService

_ONE = frozenset({"countryCode", "include"})
_PAGED = _ONE | {"page[cursor]"}


class TidalHandlers:
    def __init__(self, service: TidalService) -> None:
        self._service = service

    async def get_tidal_album(self, request: Request, tidal_id: str, **_: Any) -> Response:
        return await self._service.forward(request, f"/v2/albums/{tidal_id}", "album", _ONE)

    async def get_tidal_albums(self, request: Request, **_: Any) -> Response:
        names = _PAGED | {"filter[barcodeId]", "filter[id]"}
        return await self._service.forward(request, "/v2/albums", "album", names)

    async def get_tidal_album_items(self, request: Request, tidal_id: str, **_: Any) -> Response:
        path = f"/v2/albums/{tidal_id}/relationships/items"
        return await self._service.forward(request, path, "album_items", _PAGED)

    async def get_tidal_track(self, request: Request, tidal_id: str, **_: Any) -> Response:
        return await self._service.forward(request, f"/v2/tracks/{tidal_id}", "track", _ONE)

    async def get_tidal_tracks(self, request: Request, **_: Any) -> Response:
        names = _PAGED | {"filter[isrc]", "filter[id]"}
        return await self._service.forward(request, "/v2/tracks", "track", names)

    async def get_tidal_artist(self, request: Request, tidal_id: str, **_: Any) -> Response:
        return await self._service.forward(request, f"/v2/artists/{tidal_id}", "artist", _ONE)

    async def search_tidal(self, request: Request, **_: Any) -> Response:
        names = _ONE | {"filter[query]"}
        return await self._service.forward(request, "/v2/searchResults", "search", names)
