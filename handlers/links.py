"""The ``Links`` operations: a Discogs entity's MusicBrainz counterparts, with where to go
next on sleeve (the MusicBrainz entity, its Cover Art Archive art, its recordings — whose
AcousticBrainz features are at ``/api/v1/{recording}/…``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sleeve.musicbrainz.links import MusicBrainzLink, MusicBrainzLinks, discogs_web_url
from sleeve.url_rewriting import PublicBase

CACHE_CONTROL = "public, max-age=3600"


class LinkHandlers:
    def __init__(self, links: MusicBrainzLinks, *, public: PublicBase) -> None:
        self._links = links
        self._public = public

    async def get_release_music_brainz(self, request: Request, release_id: int) -> JSONResponse:
        return await self._answer(request, "releases", release_id)

    async def get_master_music_brainz(self, request: Request, master_id: int) -> JSONResponse:
        return await self._answer(request, "masters", master_id)

    async def get_artist_music_brainz(self, request: Request, artist_id: int) -> JSONResponse:
        return await self._answer(request, "artists", artist_id)

    async def get_label_music_brainz(self, request: Request, label_id: int) -> JSONResponse:
        return await self._answer(request, "labels", label_id)

    async def _answer(self, request: Request, collection: str, entity_id: int) -> JSONResponse:
        base = self._public.of(request)
        links = await self._links.of_discogs(collection, entity_id)
        body = {
            "discogs": discogs_web_url(collection, entity_id),
            "musicbrainz": [_described(link, base) for link in links],
        }
        return JSONResponse(body, headers={"Cache-Control": CACHE_CONTROL})


def _described(link: MusicBrainzLink, base: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        "entity": link.entity,
        "id": link.mbid,
        "name": link.name,
        "url": f"{base}/ws/2/{link.entity}/{link.mbid}?fmt=json",
    }
    if link.entity in ("release", "release-group"):
        described["cover_art_url"] = f"{base}/{link.entity}/{link.mbid}"
    if link.entity == "release":
        described["recordings_url"] = f"{base}/ws/2/recording?release={link.mbid}&fmt=json"
    return described
