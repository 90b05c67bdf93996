"""Forwarding a checked TIDAL API request and passing its answer on.

Two ways through, by whose token it is:

* **sleeve's** (the client sent no ``Authorization``): the answer is shared, so it goes
  through the cache by kind, each upstream call within the gate's window (a 429's
  ``Retry-After`` pauses every process); a 401 for sleeve's token renews it once, and a
  token TIDAL still refuses is sleeve's problem (502), never the client's.
* **the client's own** ``Authorization: Bearer …``: passed through within the same gate,
  and the answer is the client's alone — never stored, never remembered (the edge makes
  no fast key for a request with credentials), ``Cache-Control: private``.

The parameters forwarded are the operation's declared ones, in one order (sorted, as the
cache key has them), so an answer kept under a key is the answer to that key's query.
Answers are TIDAL's JSON:API documents with its API's links (``links.self``,
``links.next``, a relationship's ``self``) pointing at sleeve: the absolute ones, on
TIDAL's host under ``/v2``, are rewritten to sleeve's ``/v2``; the relative ones (what the
live service sends: ``/albums/1/relationships/items?…``, relative to ``/v2``) are left as
they are, since a client resolves them against its base URL, which is now sleeve's
``/v2``. Artwork files on TIDAL's image CDN are other hosts, left alone.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ..adapters.http import LARGE_BODY, UpstreamResponse
from ..adapters.tidal import JSON_API, NAME, TidalAdapter
from ..cache.keys import cache_key
from ..cache.responses import validated_response
from ..errors import GatewayError, answer_error
from ..upstream import ProxiedUpstream
from ..url_rewriting import PublicBase, UrlRewriter
from .kinds import UPSTREAM, kind
from .token import ClientCredentials

__all__ = ["API_PREFIX", "MEDIA_TYPE", "NOT_CONFIGURED", "TidalService"]

API_PREFIX = "/v2"
MEDIA_TYPE = JSON_API  # without parameters, as JSON:API wants it
NOT_CONFIGURED = (
    "No token provided: sleeve has no TIDAL client credentials "
    "(upstreams.tidal.client_id and client_secret); send your own Authorization: Bearer."
)


class TidalService:
    def __init__(
        self,
        adapter: TidalAdapter,
        upstream: ProxiedUpstream,
        token: ClientCredentials | None,
        *,
        public: PublicBase,
    ) -> None:
        self._adapter = adapter
        self._upstream = upstream
        self._token = token
        self.public = public

    @property
    def configured(self) -> bool:
        return self._token is not None

    async def forward(
        self, request: Request, path: str, kind_name: str, names: frozenset[str]
    ) -> Response:
        """GET ``path`` (``/v2/…``) with the request's parameters named in ``names``."""
        query = _declared(request, names)
        own = _client_bearer(request)
        if own is not None:
            answer = await self._upstream.fetched(partial(self._adapter.get, path, query, own))
            _check(answer)
            body = await self._rendered(request, answer.body)
            headers = {"Cache-Control": "private, no-store", "Vary": "Authorization"}
            return validated_response(request, body, media_type=MEDIA_TYPE, headers=headers)
        served = await self._upstream.served_by(
            cache_key(UPSTREAM, path, query, None),
            kind(kind_name),
            partial(self._fetch, path, query),
        )
        _check(served.answer, ours=True)
        body = await self._rendered(request, served.answer.body)
        return self._upstream.respond(
            request, served, body, {"Vary": "Accept"}, media_type=MEDIA_TYPE
        )

    async def document(self, path: str, query: list[tuple[str, str]], kind_name: str) -> Any:
        """TIDAL's JSON:API document for ``path``, with sleeve's token, through the cache
        (sleeve's own look-ups)."""
        query = sorted(query)
        served = await self._upstream.served_by(
            cache_key(UPSTREAM, path, query, None),
            kind(kind_name),
            partial(self._fetch, path, query),
        )
        _check(served.answer, ours=True)
        return json.loads(served.answer.body)

    async def _fetch(self, path: str, query: list[tuple[str, str]]) -> UpstreamResponse:
        """With sleeve's token; a 401 renews it and tries once more (each call a slot)."""
        if self._token is None:
            raise GatewayError(401, NOT_CONFIGURED)
        bearer = await self._token.bearer()
        answer = await self._upstream.call(partial(self._adapter.get, path, query, bearer))
        if answer.status != 401:
            return answer
        await self._token.refused(bearer)
        bearer = await self._token.bearer()
        return await self._upstream.call(partial(self._adapter.get, path, query, bearer))

    async def _rendered(self, request: Request, body: bytes) -> bytes:
        rewriter = UrlRewriter(
            [self._adapter.base_url + API_PREFIX], self.public.of(request) + API_PREFIX
        )
        if len(body) > LARGE_BODY:
            import asyncio

            return await asyncio.to_thread(_rewritten, body, rewriter)
        return _rewritten(body, rewriter)


def _rewritten(body: bytes, rewriter: UrlRewriter) -> bytes:
    return json.dumps(rewriter.body(json.loads(body)), ensure_ascii=False).encode()


def _declared(request: Request, names: frozenset[str]) -> list[tuple[str, str]]:
    """The declared parameters, sorted (by name, then value): the cache key's order."""
    sent = parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    return sorted((name, value) for name, value in sent if name in names)


def _client_bearer(request: Request) -> str | None:
    """The client's own ``Authorization: Bearer`` token, if it sent one."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(400, "Only bearer authentication is supported: Authorization: Bearer …")
    return token.strip()


def _check(answer: UpstreamResponse, *, ours: bool = False) -> None:
    """A non-200 as the client's error; a 401 or 403 for sleeve's own token is sleeve's
    problem (refused credentials), not the client's."""
    if answer.status in (401, 403) and ours:
        raise GatewayError(502, f"{NAME} refused sleeve's token ({answer.status}).")
    if answer.status != 200:
        raise _error(answer.status, answer.body, dict(answer.headers))


def _error(status: int, body: bytes, headers: dict[str, str]) -> GatewayError:
    """The error a client gets for a non-200 TIDAL answer: the first JSON:API error's
    ``detail`` is TIDAL's own words."""
    said = None
    try:
        detail = json.loads(body)["errors"][0]["detail"]
        said = detail if isinstance(detail, str) and detail else None
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    return answer_error(
        NAME, status, headers, said=said, passed=(400, 401, 403, 404), retry_after=30
    )
