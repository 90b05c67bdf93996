"""The ``MusicBrainz`` operations: lookups, browses, searches and URL look-ups on ``/ws/2``.

The document has one lookup and one list operation per entity (``lookupReleaseGroup``,
``listReleaseGroups``, and the list's trailing-slash twin), so that each says exactly
which ``inc`` values and browse links it takes; each has its ``def`` here, naming its
entity, and they share two methods. A handler checks what the document cannot say
(exactly one browse link), normalises the request so that equal requests share one cache
entry, and hands it to :class:`MusicBrainzService`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.musicbrainz import rules
from sleeve.musicbrainz.service import MusicBrainzService

# connexion hands parameters over with their names made identifiers (``release-group``
# becomes ``releasegroup``); MusicBrainz wants them as it spells them.
_LINK_PARAMETERS = {
    link.replace("-", ""): link for links in rules.BROWSE_LINKS.values() for link in links
}


class MusicBrainzHandlers:
    def __init__(self, service: MusicBrainzService) -> None:
        self._service = service

    # --- lookups: /ws/2/{entity}/{mbid} ---------------------------------------------

    async def lookup_area(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("area", request, mbid, **params)

    async def lookup_artist(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("artist", request, mbid, **params)

    async def lookup_event(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("event", request, mbid, **params)

    async def lookup_instrument(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("instrument", request, mbid, **params)

    async def lookup_label(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("label", request, mbid, **params)

    async def lookup_place(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("place", request, mbid, **params)

    async def lookup_recording(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("recording", request, mbid, **params)

    async def lookup_release(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("release", request, mbid, **params)

    async def lookup_release_group(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("release-group", request, mbid, **params)

    async def lookup_series(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("series", request, mbid, **params)

    async def lookup_url(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("url", request, mbid, **params)

    async def lookup_work(self, request: Request, mbid: str, **params: Any) -> Response:
        return await self._lookup("work", request, mbid, **params)

    # --- browses and searches: /ws/2/{entity}?{link}=…|query=… ------------------------

    async def list_areas(self, request: Request, **params: Any) -> Response:
        return await self._list("area", request, **params)

    async def list_areas_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("area", request, **params)

    async def list_artists(self, request: Request, **params: Any) -> Response:
        return await self._list("artist", request, **params)

    async def list_artists_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("artist", request, **params)

    async def list_events(self, request: Request, **params: Any) -> Response:
        return await self._list("event", request, **params)

    async def list_events_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("event", request, **params)

    async def list_instruments(self, request: Request, **params: Any) -> Response:
        return await self._list("instrument", request, **params)

    async def list_instruments_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("instrument", request, **params)

    async def list_labels(self, request: Request, **params: Any) -> Response:
        return await self._list("label", request, **params)

    async def list_labels_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("label", request, **params)

    async def list_places(self, request: Request, **params: Any) -> Response:
        return await self._list("place", request, **params)

    async def list_places_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("place", request, **params)

    async def list_recordings(self, request: Request, **params: Any) -> Response:
        return await self._list("recording", request, **params)

    async def list_recordings_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("recording", request, **params)

    async def list_releases(self, request: Request, **params: Any) -> Response:
        return await self._list("release", request, **params)

    async def list_releases_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("release", request, **params)

    async def list_release_groups(self, request: Request, **params: Any) -> Response:
        return await self._list("release-group", request, **params)

    async def list_release_groups_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("release-group", request, **params)

    async def list_series(self, request: Request, **params: Any) -> Response:
        return await self._list("series", request, **params)

    async def list_series_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("series", request, **params)

    async def list_works(self, request: Request, **params: Any) -> Response:
        return await self._list("work", request, **params)

    async def list_works_slash(self, request: Request, **params: Any) -> Response:
        return await self._list("work", request, **params)

    # --- reverse URL look-ups: /ws/2/url?resource=… ------------------------------------

    async def lookup_music_brainz_urls(
        self,
        request: Request,
        resource: list[str],
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        includes = rules.checked_includes("url", inc)
        query = [("resource", url) for url in sorted(set(resource))]
        return await self._service.forward(
            request,
            "/url",
            query + ([("inc", includes)] if includes else []),
            _representation(request, fmt),
            kind_name="url",
        )

    # --- shared -------------------------------------------------------------------------

    async def _lookup(
        self,
        entity: str,
        request: Request,
        mbid: str,
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        includes = rules.checked_includes(entity, inc)
        return await self._service.forward(
            request,
            f"/{entity}/{rules.checked_mbid(mbid)}",
            [("inc", includes)] if includes else [],
            _representation(request, fmt),
            kind_name=entity,
        )

    async def _list(
        self,
        entity: str,
        request: Request,
        limit: int,
        offset: int,
        query: str | None = None,
        dismax: str | None = None,
        inc: str | None = None,
        fmt: str | None = None,
        type: str | None = None,
        status: str | None = None,
        **links: str,
    ) -> Response:
        representation = _representation(request, fmt)
        page = [("limit", str(limit)), ("offset", str(offset))]
        if query is not None:
            search = [("query", query), *page, *([("dismax", dismax)] if dismax else [])]
            return await self._service.forward(
                request, f"/{entity}", search, representation, kind_name="search"
            )
        # The document declares only the links this entity takes, so connexion drops any
        # other (``/ws/2/release?work=…``); MusicBrainz would refuse it, and so does sleeve.
        foreign = {
            name: value
            for name, value in request.query_params.items()
            if name in rules.ALL_BROWSE_LINKS and name not in rules.BROWSE_LINKS[entity]
        }
        return await self._service.forward(
            request,
            f"/{entity}",
            _browse_query(entity, links, foreign, inc, type, status) + page,
            representation,
            kind_name="browse",
        )


def _representation(request: Request, fmt: str | None) -> rules.Representation:
    return rules.representation(fmt, request.headers.get("accept"))


def _browse_query(
    entity: str,
    links: dict[str, str],
    foreign: dict[str, str],
    inc: str | None,
    release_type: str | None,
    status: str | None,
) -> list[tuple[str, str]]:
    named = {_LINK_PARAMETERS[name]: value for name, value in links.items()} | foreign
    link, mbid = rules.browse_link(entity, named)
    query = [(link, mbid)]
    for name, value in (("type", release_type), ("status", status)):
        if value is not None:
            if name not in rules.BROWSE_FILTERS.get(entity, frozenset()):
                raise rules.invalid_request(
                    f"{name} is not a valid parameter for browsing {entity}."
                )
            query.append((name, value))
    includes = rules.checked_includes(entity, inc, allowed=rules.browse_includes(entity))
    return query + ([("inc", includes)] if includes else [])
