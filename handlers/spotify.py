"""The ``Spotify`` operations: the Web API's catalog reads at its own paths (``/v1/…``).

Each operation names its path, the kind of answer (which picks its lifetime) and the
parameters it forwards; spotipy's trailing-slash spellings (``/v1/tracks/?ids=``) are
operations of their own, answered alike.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.spotify.service import SpotifyService

_MARKET = frozenset({"market"})
_IDS = frozenset({"ids", "market"})
_PAGE = frozenset({"limit", "offset", "market"})


class SpotifyHandlers:
    def __init__(self, service: SpotifyService) -> None:
        self._service = service

    async def get_spotify_album(self, request: Request, spotify_id: str, **_: Any) -> Response:
        return await self._service.forward(request, f"/v1/albums/{spotify_id}", "album", _MARKET)

    async def get_spotify_albums(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/albums", "album", _IDS)

    async def get_spotify_albums_slash(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/albums", "album", _IDS)

    async def get_spotify_album_tracks(
        self, request: Request, spotify_id: str, **_: Any
    ) -> Response:
        return await self._service.forward(
            request, f"/v1/albums/{spotify_id}/tracks", "album", _PAGE
        )

    async def get_spotify_track(self, request: Request, spotify_id: str, **_: Any) -> Response:
        return await self._service.forward(request, f"/v1/tracks/{spotify_id}", "track", _MARKET)

    async def get_spotify_tracks(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/tracks", "track", _IDS)

    async def get_spotify_tracks_slash(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/tracks", "track", _IDS)

    async def get_spotify_artist(self, request: Request, spotify_id: str) -> Response:
        return await self._service.forward(
            request, f"/v1/artists/{spotify_id}", "artist", frozenset()
        )

    async def get_spotify_artists(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/artists", "artist", frozenset({"ids"}))

    async def get_spotify_artists_slash(self, request: Request, **_: Any) -> Response:
        return await self._service.forward(request, "/v1/artists", "artist", frozenset({"ids"}))

    async def get_spotify_artist_albums(
        self, request: Request, spotify_id: str, **_: Any
    ) -> Response:
        names = _PAGE | {"include_groups"}
        return await self._service.forward(
            request, f"/v1/artists/{spotify_id}/albums", "artist_albums", names
        )

    async def get_spotify_artist_top_tracks(
        self, request: Request, spotify_id: str, **_: Any
    ) -> Response:
        path = f"/v1/artists/{spotify_id}/top-tracks"
        return await self._service.forward(request, path, "top_tracks", _MARKET)

    async def search_spotify(self, request: Request, **_: Any) -> Response:
        names = _PAGE | {"q", "type", "include_external"}
        return await self._service.forward(request, "/v1/search", "search", names)

    async def get_spotify_markets(self, request: Request) -> Response:
        return await self._service.forward(request, "/v1/markets", "markets", frozenset())
