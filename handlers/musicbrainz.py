"""The ``MusicBrainz`` operations: lookups, browses, searches and URL look-ups on ``/ws/2``.

The document has one lookup and one list operation per entity (``lookupReleaseGroup``,
``listReleaseGroups``, and the list's trailing-slash twin), so that each says exactly
which ``inc`` values and browse links it takes; each has its ``def`` here, naming its
entity, and they share two methods. Look-ups by a code (an ISRC, an ISWC, a disc ID or a
TOC), URL look-ups and searches, and the genre list have theirs. A handler checks what
the document cannot say (exactly one browse link; a TOC's offsets in order), normalises
the request so that equal requests share one cache entry, and hands it to
:class:`MusicBrainzService`.
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

    # --- look-ups by code: /ws/2/isrc/{isrc}, /ws/2/iswc/{iswc}, /ws/2/discid/{discid} ---

    async def lookup_isrc(
        self, request: Request, isrc: str, inc: str | None = None, fmt: str | None = None
    ) -> Response:
        includes = rules.checked_includes("isrc", inc)
        return await self._service.forward(
            request,
            f"/isrc/{rules.checked_code('isrc', isrc)}",
            [("inc", includes)] if includes else [],
            _representation(request, fmt),
            kind_name="isrc",
        )

    async def lookup_iswc(
        self, request: Request, iswc: str, inc: str | None = None, fmt: str | None = None
    ) -> Response:
        # Passed on as written: MusicBrainz finds an ISWC only in the form it keeps
        # (``T-123.456.789-0``), and answers 404 for the others it accepts.
        includes = rules.checked_includes("iswc", inc)
        return await self._service.forward(
            request,
            f"/iswc/{rules.checked_code('iswc', iswc)}",
            [("inc", includes)] if includes else [],
            _representation(request, fmt),
            kind_name="iswc",
        )

    async def lookup_discid(
        self,
        request: Request,
        discid: str,
        limit: int,
        offset: int,
        toc: str | None = None,
        cdstubs: str | None = None,
        mediaformat: str | None = None,
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        """The releases with this disc (or its CD stub); with ``toc``, failing that, the
        releases whose media fit the TOC. Only what changes the answer is sent on: the
        defaults (``cdstubs=yes``, a page of 25 from 0) are left out, ``cdstubs`` when
        there is no disc ID, ``media-format`` when there is no TOC."""
        asked = rules.checked_discid(discid, toc)
        by_id = asked != rules.NO_DISCID
        query: list[tuple[str, str]] = []
        if toc is not None:
            query.append(("toc", rules.checked_toc(toc, parsed=not by_id)))
            if mediaformat is not None:
                query.append(("media-format", mediaformat))
        if by_id and cdstubs == "no":
            query.append(("cdstubs", "no"))
        includes = rules.checked_includes("discid", inc)
        if includes:
            query.append(("inc", includes))
        limit = min(limit, rules.DISCID_PAGE)  # MusicBrainz' own cap, said once here
        if limit != rules.DISCID_PAGE:
            query.append(("limit", str(limit)))
        if offset:
            query.append(("offset", str(offset)))
        return await self._service.forward(
            request,
            f"/discid/{asked}",
            query,
            _representation(request, fmt),
            kind_name="discid",
        )

    # --- the genre list: /ws/2/genre/all ------------------------------------------------

    async def list_all_genres(
        self, request: Request, limit: int, offset: int, fmt: str | None = None
    ) -> Response:
        return await self._service.forward(
            request,
            "/genre/all",
            [("limit", str(limit)), ("offset", str(offset))],
            _representation(request, fmt),
            kind_name="genre",
        )

    # --- URLs: /ws/2/url?resource=… (reverse look-ups) or ?query=… (search) -------------

    async def lookup_music_brainz_urls(
        self,
        request: Request,
        limit: int,
        offset: int,
        resource: list[str] | None = None,
        query: str | None = None,
        dismax: str | None = None,
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        representation = _representation(request, fmt)
        if (resource is None) == (query is None):
            raise rules.invalid_request(
                "Looking up URLs needs exactly one of: resource (the URLs to look up) or "
                "query (a search)."
            )
        if query is not None:
            return await self._search("url", request, query, limit, offset, dismax, representation)
        includes = rules.checked_includes("url", inc)
        urls = [("resource", url) for url in sorted(set(resource or ()))]
        return await self._service.forward(
            request,
            "/url",
            urls + ([("inc", includes)] if includes else []),
            representation,
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
        if query is not None:
            return await self._search(entity, request, query, limit, offset, dismax, representation)
        # The document declares only the links this entity takes, so connexion drops any
        # other (``/ws/2/release?work=…``); MusicBrainz would refuse it, and so does sleeve.
        foreign = {
            name: value
            for name, value in request.query_params.items()
            if name in rules.ALL_BROWSE_LINKS and name not in rules.BROWSE_LINKS[entity]
        }
        page = [("limit", str(limit)), ("offset", str(offset))]
        return await self._service.forward(
            request,
            f"/{entity}",
            _browse_query(entity, links, foreign, inc, type, status) + page,
            representation,
            kind_name="browse",
        )

    async def _search(
        self,
        entity: str,
        request: Request,
        query: str,
        limit: int,
        offset: int,
        dismax: str | None,
        representation: rules.Representation,
    ) -> Response:
        search = [("query", query), ("limit", str(limit)), ("offset", str(offset))]
        if dismax:
            search.append(("dismax", dismax))
        return await self._service.forward(
            request, f"/{entity}", search, representation, kind_name="search"
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
