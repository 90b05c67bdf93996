"""Forwarding a validated Discogs database request and shaping the answer for the client.

The path of a request through here: the client's own Discogs credentials (if it sent
any) or sleeve's, the representation it asked for, then the answer — from the cache for
public requests, straight from the adapter for private ones (made with a client's own
credentials, never stored or shared) — and finally either the answer with its URLs
pointed at sleeve and its caching headers, or an honest error: the upstream's 404 as 404,
a refused client credential as 401, and the upstream's own troubles as 502 (unreachable,
5xx, garbage), 503 with ``Retry-After`` (rate limited), or 504 (timed out). A query too
long to forward is refused with 414 before it is sent.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from adapters.discogs import NAME, DiscogsAdapter, DiscogsCredentials, representation
from adapters.http import UpstreamResponse

from .cache.answer_cache import AnswerCache, Served
from .cache.freshness import resource_kind
from .cache.http_caching import cache_status
from .cache.keys import cache_key
from .cached_response import cached_response
from .clients import STATE_KEY as CLIENT_STATE_KEY
from .clients import Client
from .errors import GatewayError, upstream_errors
from .governance.gate import UpstreamGate
from .hot_path import RenderedAnswers
from .images.links import point_images_at_sleeve
from .url_rewriting import UrlRewriter

logger = logging.getLogger("sleeve.discogs")

# Discogs' own names for itself; old answers say http, new ones https.
CANONICAL_BASES = ("https://api.discogs.com", "http://api.discogs.com")
DEFAULT_RETRY_AFTER = 60
# Answers about these gain a link to their MusicBrainz counterparts (handlers/links.py).
LINKED_ENTITY = re.compile(r"^/(releases|masters|artists|labels)/[0-9]+$")
_PASSED_HEADERS = ("X-Discogs-Media-Type",)


class DiscogsProxy:
    """The service behind every Discogs database handler."""

    def __init__(
        self,
        adapter: DiscogsAdapter,
        cache: AnswerCache,
        gate: UpstreamGate,
        *,
        rendered: RenderedAnswers | None = None,
        public_url: str | None = None,
    ) -> None:
        self._adapter = adapter
        self._cache = cache
        self._gate = gate
        self._rendered = rendered
        self._public_url = public_url
        self._upstream_bases = (adapter.base_url, *CANONICAL_BASES)

    async def forward(self, request: Request, path: str, **query: Any) -> Response:
        """GET ``path`` upstream with the declared ``query`` values that are set."""
        credentials = _client_discogs_credentials(request)
        pairs = [(name, str(value)) for name, value in query.items() if value is not None]
        media_type = representation(request.headers.get("accept"))
        if credentials is not None:
            with upstream_errors():
                answer = await self._fetch(path, pairs, media_type, credentials)
            return self._private_response(request, answer, path)
        served = await self._served(path, pairs, media_type)
        return self._shared_response(request, served, path)

    async def document(self, path: str) -> Any:
        """The upstream's answer for ``path`` as sleeve itself sees it (its credentials, the
        default representation), through the cache; for sleeve's own use (images)."""
        served = await self._served(path, [], None)
        stored = served.answer
        if stored.status != 200:
            raise _gateway_error(
                stored.status, stored.body, dict(stored.headers), client_auth=False
            )
        return _decode(stored.body)

    async def _served(
        self, path: str, pairs: list[tuple[str, str]], media_type: str | None
    ) -> Served:
        async def fetch() -> UpstreamResponse:
            return await self._fetch(path, pairs, media_type, None)

        kind = f"discogs:{resource_kind(path)}"
        with upstream_errors():
            return await self._cache.get(cache_key(path, pairs, media_type), kind, fetch)

    async def _fetch(
        self,
        path: str,
        pairs: list[tuple[str, str]],
        media_type: str | None,
        credentials: DiscogsCredentials | None,
    ) -> UpstreamResponse:
        return await self._gate.call(
            lambda: self._adapter.get(path, pairs, media_type=media_type, credentials=credentials)
        )

    def _private_response(self, request: Request, answer: UpstreamResponse, path: str) -> Response:
        if answer.status != 200:
            raise _gateway_error(answer.status, answer.body, answer.headers, client_auth=True)
        body, headers = self._render(request, answer.body, answer.headers, path)
        headers.update(
            {"Cache-Control": "private, no-store", "Cache-Status": cache_status("bypass")}
        )
        return Response(body, media_type="application/json", headers=headers)

    def _shared_response(self, request: Request, served: Served, path: str) -> Response:
        stored = served.answer
        if stored.status != 200:
            raise _gateway_error(
                stored.status, stored.body, dict(stored.headers), client_auth=False
            )
        body, headers = self._render(request, stored.body, dict(stored.headers), path)
        return cached_response(
            request,
            served,
            body,
            headers,
            media_type="application/json",
            kind=f"discogs:{resource_kind(path)}",
            rendered=self._rendered,
        )

    def _render(
        self, request: Request, body: bytes, upstream_headers: Mapping[str, str], path: str
    ) -> tuple[bytes, dict[str, str]]:
        """The client's bytes and headers: upstream URLs and images pointed at sleeve."""
        base = self._public_url or str(request.base_url)
        rewriter = UrlRewriter(self._upstream_bases, base)
        document = point_images_at_sleeve(rewriter.body(_decode(body)), path, base)
        if LINKED_ENTITY.match(path) and isinstance(document, dict):
            document["musicbrainz_url"] = f"{base.rstrip('/')}{path}/musicbrainz"
        headers = {"Vary": "Accept"}
        if "Link" in upstream_headers:
            headers["Link"] = rewriter.link_header(upstream_headers["Link"])
        headers.update(
            {name: upstream_headers[name] for name in _PASSED_HEADERS if name in upstream_headers}
        )
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return content, headers


def _client_discogs_credentials(request: Request) -> DiscogsCredentials | None:
    """The Discogs credentials the client sent, unless what it sent was a sleeve key."""
    client = request.scope.get("state", {}).get(CLIENT_STATE_KEY)
    if isinstance(client, Client) and client.key_in_discogs_form:
        return None
    return DiscogsCredentials.from_client(
        request.headers.get("authorization"), QueryParams(request.scope["query_string"])
    )


def _decode(body: bytes) -> Any:
    """The JSON body of a 200; Discogs sends an empty one when it rejects the caller."""
    try:
        return json.loads(body)
    except ValueError:
        raise GatewayError(502, f"{NAME} sent an answer that is not JSON.") from None


def _upstream_message(body: bytes) -> str | None:
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


def _gateway_error(
    status: int, body: bytes, headers: Mapping[str, str], *, client_auth: bool
) -> GatewayError:
    """The error a client gets for a non-200 upstream answer."""
    said = _upstream_message(body)
    if status == 404:
        return GatewayError(404, said or "The requested resource was not found.")
    if status == 401 and client_auth:
        return GatewayError(401, said or "Discogs rejected the credentials sent.")
    if status == 422:
        return GatewayError(422, said or "Discogs could not process the request.")
    if status in (429, 503):
        retry_after = _retry_after(headers)
        reason = "is rate limiting sleeve" if status == 429 else "is unavailable"
        return GatewayError(
            503,
            f"{NAME} {reason}; try again in {retry_after} s.",
            {"Retry-After": str(retry_after)},
        )
    if status == 401:
        logger.error("Discogs refused sleeve's own credentials (401); check upstreams.discogs")
        return GatewayError(502, f"{NAME} refused sleeve's credentials.")
    return GatewayError(502, f"{NAME} answered {status}" + (f": {said}" if said else "."))


def _retry_after(headers: Mapping[str, str]) -> int:
    value = headers.get("Retry-After", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_RETRY_AFTER
