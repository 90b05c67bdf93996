"""The ``MusicBrainz`` operations: lookups, browses, searches and URL look-ups on ``/ws/2``.

The document has one lookup and one list operation per entity (``lookupReleaseGroup``,
``listReleaseGroups``), so that each says exactly which ``inc`` values and browse links it
takes; here they share two methods, bound per entity at the bottom of this module. A
handler checks what the document cannot say (exactly one browse link), normalises the
request so that equal requests share one cache entry, and hands it to
:class:`MusicBrainzProxy`.
"""

from __future__ import annotations

from functools import partialmethod

from starlette.requests import Request
from starlette.responses import Response

from adapters.musicbrainz import Representation
from sleeve.error_dialects import wants_musicbrainz_json
from sleeve.musicbrainz import rules
from sleeve.musicbrainz.proxy import MusicBrainzProxy

# connexion hands parameters over with their names made identifiers (``release-group``
# becomes ``releasegroup``); MusicBrainz wants them as it spells them.
_LINK_PARAMETERS = {
    link.replace("-", ""): link for links in rules.BROWSE_LINKS.values() for link in links
}


class MusicBrainzHandlers:
    def __init__(self, proxy: MusicBrainzProxy) -> None:
        self._proxy = proxy

    async def lookup_entity(
        self,
        entity: str,
        request: Request,
        mbid: str,
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        mbid = rules.checked_mbid(mbid)
        includes = rules.checked_includes(entity, inc)
        return await self._proxy.forward(
            request,
            f"/ws/2/{entity}/{mbid}",
            [("inc", includes)] if includes else [],
            _representation(request, fmt),
            kind=entity,
        )

    async def list_entities(
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
            return await self._proxy.forward(
                request, f"/ws/2/{entity}", search, representation, kind="search"
            )
        # The document declares only the links this entity takes, so connexion drops any
        # other (``/ws/2/release?work=…``); MusicBrainz would refuse it, and so does sleeve.
        foreign = {
            name: value
            for name, value in request.query_params.items()
            if name in rules.ALL_BROWSE_LINKS and name not in rules.BROWSE_LINKS[entity]
        }
        return await self._proxy.forward(
            request,
            f"/ws/2/{entity}",
            _browse_query(entity, links, foreign, inc, type, status) + page,
            representation,
            kind="browse",
        )

    async def lookup_music_brainz_urls(
        self,
        request: Request,
        resource: list[str],
        inc: str | None = None,
        fmt: str | None = None,
    ) -> Response:
        includes = rules.checked_includes("url", inc)
        query = [("resource", url) for url in sorted(set(resource))]
        return await self._proxy.forward(
            request,
            "/ws/2/url",
            query + ([("inc", includes)] if includes else []),
            _representation(request, fmt),
            kind="url",
        )


def _representation(request: Request, fmt: str | None) -> Representation:
    if fmt is not None:
        return "json" if fmt == "json" else "xml"
    return "json" if wants_musicbrainz_json("", request.headers.get("accept")) else "xml"


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
                raise rules.bad_request(f"{name} is not a valid parameter for browsing {entity}.")
            query.append((name, value))
    includes = rules.checked_includes(entity, inc, allowed=rules.browse_includes(entity))
    return query + ([("inc", includes)] if includes else [])


def _python_name(name: str) -> str:
    return name.replace("-", "_")


for _entity in rules.LOOKUP_INCLUDES:
    setattr(
        MusicBrainzHandlers,
        f"lookup_{_python_name(_entity)}",
        partialmethod(MusicBrainzHandlers.lookup_entity, _entity),
    )
for _entity in rules.BROWSE_LINKS:
    _plural = _python_name(_entity if _entity == "series" else f"{_entity}s")
    _list = partialmethod(MusicBrainzHandlers.list_entities, _entity)
    setattr(MusicBrainzHandlers, f"list_{_plural}", _list)
    setattr(MusicBrainzHandlers, f"list_{_plural}_slash", _list)
