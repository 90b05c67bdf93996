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
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from adapters.http import UpstreamGarbage, UpstreamResponse
from adapters.musicbrainz import MEDIA_TYPES, NAME, MusicBrainzAdapter, Representation

from ..cache.answer_cache import AnswerCache, Served
from ..cache.keys import cache_key
from ..cached_response import cached_response
from ..errors import GatewayError, upstream_errors
from ..governance.gate import UpstreamGate
from ..hot_path import RenderedAnswers

PREFIX = "/ws/2"
DEFAULT_RETRY_AFTER = 1
_XML_TEXT = re.compile(rb"<text>(.*?)</text>", re.S)
# Every answer MusicBrainz sends with a 200 is a ``<metadata>`` document; an HTML page (a
# proxy's or a maintenance notice) also starts with ``<`` and must not be kept as one.
_XML_METADATA = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<metadata[\s>/]")


class MusicBrainzProxy:
    def __init__(
        self,
        adapter: MusicBrainzAdapter,
        cache: AnswerCache,
        gate: UpstreamGate,
        *,
        rendered: RenderedAnswers | None = None,
    ) -> None:
        self._adapter = adapter
        self._cache = cache
        self._gate = gate
        self._rendered = rendered

    async def forward(
        self,
        request: Request,
        path: str,
        query: list[tuple[str, str]],
        representation: Representation,
        *,
        kind: str,
    ) -> Response:
        """GET ``path`` (sleeve's, ``/ws/2/…``) with ``query``; ``kind`` picks the lifetime."""
        served = await self._served(path, query, representation, kind)
        stored = served.answer
        if stored.status != 200:
            raise _gateway_error(stored.status, stored.body, dict(stored.headers))
        return cached_response(
            request,
            served,
            stored.body,
            {"Vary": "Accept"},
            media_type=MEDIA_TYPES[representation],
            kind=f"musicbrainz:{kind}",
            rendered=self._rendered,
        )

    async def document(self, path: str, query: list[tuple[str, str]], kind: str) -> Any | None:
        """The JSON answer for ``path``, through the cache, for sleeve's own use (links);
        ``None`` when MusicBrainz has no such thing."""
        stored = (await self._served(path, query, "json", kind)).answer
        if stored.status == 404:
            return None
        if stored.status != 200:
            raise _gateway_error(stored.status, stored.body, dict(stored.headers))
        return json.loads(stored.body)

    async def _served(
        self, path: str, query: list[tuple[str, str]], representation: Representation, kind: str
    ) -> Served:
        async def fetch() -> UpstreamResponse:
            answer = await self._gate.call(
                lambda: self._adapter.get(path.removeprefix(PREFIX), query, representation)
            )
            if answer.status == 200 and not _looks_like(answer.body, representation):
                raise UpstreamGarbage(NAME, f"{NAME} sent an answer that is not {representation}.")
            return answer

        key = cache_key(path, query, representation)
        with upstream_errors():
            return await self._cache.get(key, f"musicbrainz:{kind}", fetch)


def _looks_like(body: bytes, representation: Representation) -> bool:
    """A cheap check that keeps a broken answer out of the cache."""
    if representation == "xml":
        return _XML_METADATA.match(body) is not None
    try:
        return isinstance(json.loads(body), dict)  # every JSON answer is an object
    except ValueError:
        return False


def _upstream_message(body: bytes) -> str | None:
    try:
        said = json.loads(body).get("error")
    except (ValueError, AttributeError):
        match = _XML_TEXT.search(body)
        said = match.group(1).decode("utf-8", "replace") if match else None
    return said if isinstance(said, str) and said else None


def _gateway_error(status: int, body: bytes, headers: Mapping[str, str]) -> GatewayError:
    """The error a client gets for a non-200 MusicBrainz answer."""
    said = _upstream_message(body)
    if status in (400, 404):
        return GatewayError(status, said or ("Not Found" if status == 404 else "Bad request."))
    if status in (429, 503):
        value = headers.get("Retry-After", "")
        retry_after = int(value) if value.isdigit() and int(value) > 0 else DEFAULT_RETRY_AFTER
        return GatewayError(
            503,
            f"{NAME} is not answering sleeve now ({status}); try again in {retry_after} s.",
            {"Retry-After": str(retry_after)},
        )
    return GatewayError(502, f"{NAME} answered {status}" + (f": {said}" if said else "."))
