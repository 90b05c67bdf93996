"""Forwarding a validated Discogs database request and shaping the answer for the client.

The path of a request through here: the client's own Discogs credentials (if it sent
any) or sleeve's, the representation it asked for, then the answer — from the cache for
public requests, straight through the gate for private ones (made with a client's own
credentials, never stored or shared) — and finally either the answer with its URLs
pointed at sleeve and its caching headers, or an honest error: the upstream's 404 as 404,
a refused client credential as 401, and the upstream's own troubles as 502 (unreachable,
5xx, garbage), 503 with ``Retry-After`` (rate limited), or 504 (timed out). A query too
long to forward is refused with 414 before it is sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ..adapters.discogs import NAME, DiscogsAdapter, DiscogsCredentials, representation
from ..adapters.http import LARGE_BODY, UpstreamResponse
from ..cache.answer_cache import Served
from ..cache.http_caching import cache_status
from ..cache.keys import cache_key
from ..docs_page import service_links
from ..errors import GatewayError, answer_error
from ..governance.clients import STATE_KEY, Client
from ..upstream import ProxiedUpstream
from ..url_rewriting import PublicBase, UrlRewriter
from .image_links import point_images_at_sleeve
from .kinds import ENTITY_PATH, UPSTREAM, kind_of

__all__ = ["DiscogsService"]

logger = logging.getLogger("sleeve.discogs")

# Discogs' own names for itself; old answers say http, new ones https.
CANONICAL_BASES = ("https://api.discogs.com", "http://api.discogs.com")
#: Discogs' headers worth keeping with a cached answer.
KEPT_HEADERS = ("X-Discogs-Media-Type",)


class DiscogsService:
    """The service behind every Discogs database handler, and behind Discogs images."""

    def __init__(
        self, adapter: DiscogsAdapter, upstream: ProxiedUpstream, *, public: PublicBase
    ) -> None:
        self._adapter = adapter
        self._upstream = upstream
        self._public = public
        self._upstream_bases = (adapter.base_url, *CANONICAL_BASES)

    async def forward(self, request: Request, path: str, **query: Any) -> Response:
        """GET ``path`` upstream with the declared ``query`` values that are set."""
        credentials = _client_discogs_credentials(request)
        pairs = [(name, str(value)) for name, value in query.items() if value is not None]
        media_type = representation(request.headers.get("accept"))
        if credentials is not None:
            answer = await self._upstream.fetched(
                lambda: self._adapter.get(
                    path, pairs, media_type=media_type, credentials=credentials
                )
            )
            return await self._private_response(request, answer, path)
        served = await self._served(path, pairs, media_type)
        stored = served.answer
        if stored.status != 200:
            raise _error(stored.status, stored.body, dict(stored.headers), client_auth=False)
        body, headers = await self._rendered(request, stored.body, dict(stored.headers), path)
        return self._upstream.respond(request, served, body, headers, media_type="application/json")

    async def document(self, path: str, query: list[tuple[str, str]] | None = None) -> Any:
        """The upstream's answer for ``path`` (with ``query``) as sleeve itself sees it (its
        credentials, the default representation), through the cache, for sleeve's own use
        (images, the barcode look-up); ``None`` when Discogs has no such thing."""
        stored = (await self._served(path, list(query or []), None)).answer
        if stored.status == 404:
            return None
        if stored.status != 200:
            raise _error(stored.status, stored.body, dict(stored.headers), client_auth=False)
        return _decode(stored.body)

    async def _served(
        self, path: str, pairs: list[tuple[str, str]], media_type: str | None
    ) -> Served:
        return await self._upstream.served(
            cache_key(UPSTREAM, path, pairs, media_type),
            kind_of(path),
            lambda: self._adapter.get(path, pairs, media_type=media_type),
        )

    async def _private_response(
        self, request: Request, answer: UpstreamResponse, path: str
    ) -> Response:
        if answer.status != 200:
            raise _error(answer.status, answer.body, answer.headers, client_auth=True)
        body, headers = await self._rendered(request, answer.body, answer.headers, path)
        headers.update(
            {"Cache-Control": "private, no-store", "Cache-Status": cache_status("bypass")}
        )
        return Response(body, media_type="application/json", headers=headers)

    async def _rendered(
        self, request: Request, body: bytes, upstream_headers: Mapping[str, str], path: str
    ) -> tuple[bytes, dict[str, str]]:
        """The client's bytes and headers: upstream URLs and images pointed at sleeve.

        Rewriting walks every string of the answer: for a large one (a long page of a
        big label) that is work for a thread, so the event loop keeps serving meanwhile.
        """
        base = self._public.of(request)
        if len(body) > LARGE_BODY:
            return await asyncio.to_thread(self._render, base, body, upstream_headers, path)
        return self._render(base, body, upstream_headers, path)

    def _render(
        self, base: str, body: bytes, upstream_headers: Mapping[str, str], path: str
    ) -> tuple[bytes, dict[str, str]]:
        rewriter = UrlRewriter(self._upstream_bases, base)
        document = point_images_at_sleeve(rewriter.body(_decode(body)), path, base)
        if ENTITY_PATH.match(path) and isinstance(document, dict):
            document["musicbrainz_url"] = f"{base}{path}/musicbrainz"  # handlers/links.py
        headers = {"Vary": "Accept"}
        if "Link" in upstream_headers:
            headers["Link"] = rewriter.link_header(upstream_headers["Link"])
        if path == "/":  # the service root points at sleeve's docs and contract
            headers["Link"] = service_links(base)
        headers.update(
            {name: upstream_headers[name] for name in KEPT_HEADERS if name in upstream_headers}
        )
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return content, headers


def _client_discogs_credentials(request: Request) -> DiscogsCredentials | None:
    """The Discogs credentials the client sent, unless what it sent was a sleeve key."""
    client = request.scope.get("state", {}).get(STATE_KEY)
    if isinstance(client, Client) and client.key_in_discogs_form:
        return None
    return DiscogsCredentials.from_client(
        request.headers.get("authorization"), QueryParams(request.scope["query_string"])
    )


def _decode(body: bytes) -> Any:
    """The JSON body of a 200; Discogs sends an empty one when it rejects the caller."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise GatewayError(502, f"{NAME} sent an answer that is not JSON.") from None


def _upstream_message(body: bytes) -> str | None:
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


def _error(
    status: int, body: bytes, headers: Mapping[str, str], *, client_auth: bool
) -> GatewayError:
    """The error a client gets for a non-200 Discogs answer.

    A 401 is the client's business only when it was the client's own credential that
    Discogs refused; sleeve's own refused is sleeve's fault (502), and logged.
    """
    said = _upstream_message(body)
    if status == 401 and client_auth:
        return GatewayError(401, said or "Discogs rejected the credentials sent.")
    if status == 401:
        logger.error("Discogs refused sleeve's own credentials (401); check upstreams.discogs")
        return GatewayError(502, f"{NAME} refused sleeve's credentials.")
    return answer_error(NAME, status, headers, said=said, passed=(404, 422))
