"""Forwarding a checked MusicBrainz request and passing its answer on, through the cache.

MusicBrainz answers are passed on byte for byte: they hold no URLs of the web service to
rewrite, and clients parse them with their own MusicBrainz parsers (XML for
musicbrainzngs, JSON for beets). What sleeve adds is the cache (keyed by the normalised
request and the representation), the one-call-per-second governance, and honest errors:
MusicBrainz' 400 and 404 passed on in its words, its 503 (rate limiting) as 503 with
``Retry-After``, anything else unusable as 502, a timeout as 504.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..adapters.musicbrainz import MEDIA_TYPES, NAME, MusicBrainzAdapter, Representation
from ..cache.answer_cache import Served
from ..cache.keys import cache_key
from ..errors import GatewayError, answer_error
from ..upstream import ProxiedUpstream
from .kinds import UPSTREAM, kind

__all__ = ["PREFIX", "MusicBrainzService"]

#: Where the web service lives on sleeve (and on musicbrainz.org).
PREFIX = "/ws/2"
DEFAULT_RETRY_AFTER = 1
_XML_TEXT = re.compile(rb"<text>(.*?)</text>", re.S)


class MusicBrainzService:
    """The service behind every MusicBrainz handler, and behind sleeve's own look-ups."""

    def __init__(self, adapter: MusicBrainzAdapter, upstream: ProxiedUpstream) -> None:
        self._adapter = adapter
        self._upstream = upstream

    async def forward(
        self,
        request: Request,
        path: str,
        query: list[tuple[str, str]],
        representation: Representation,
        *,
        kind_name: str,
    ) -> Response:
        """GET ``path`` (below ``/ws/2``: ``/artist/<mbid>``) with ``query``, a
        ``kind_name`` resource (which picks its lifetime), in ``representation``."""
        served = await self._served(path, query, representation, kind_name)
        stored = served.answer
        if stored.status != 200:
            raise _error(stored.status, stored.body, dict(stored.headers))
        return self._upstream.respond(
            request,
            served,
            stored.body,
            {"Vary": "Accept"},
            media_type=MEDIA_TYPES[representation],
        )

    async def document(self, path: str, query: list[tuple[str, str]], kind_name: str) -> Any:
        """The JSON answer for ``path`` (below ``/ws/2``), through the cache, for sleeve's
        own use (links); ``None`` when MusicBrainz has no such thing."""
        stored = (await self._served(path, query, "json", kind_name)).answer
        if stored.status == 404:
            return None
        if stored.status != 200:
            raise _error(stored.status, stored.body, dict(stored.headers))
        return json.loads(stored.body)

    async def _served(
        self,
        path: str,
        query: list[tuple[str, str]],
        representation: Representation,
        kind_name: str,
    ) -> Served:
        key = cache_key(UPSTREAM, PREFIX + path, query, representation)
        return await self._upstream.served(
            key, kind(kind_name), lambda: self._adapter.get(path, query, representation)
        )


def _error(status: int, body: bytes, headers: dict[str, str]) -> GatewayError:
    """The error a client gets for a non-200 MusicBrainz answer."""
    return answer_error(
        NAME,
        status,
        headers,
        said=_upstream_message(body) or ("Not Found" if status == 404 else None),
        passed=(400, 404),
        retry_after=DEFAULT_RETRY_AFTER,
    )


def _upstream_message(body: bytes) -> str | None:
    try:
        said = json.loads(body).get("error")
    except (ValueError, AttributeError):
        match = _XML_TEXT.search(body)
        said = match.group(1).decode("utf-8", "replace") if match else None
    return said if isinstance(said, str) and said else None
