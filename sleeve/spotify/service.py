"""Forwarding a checked Spotify catalog request and passing its answer on.

Two ways through, by whose token it is:

* **sleeve's** (the client sent no ``Authorization``): the answer is shared, so it goes
  through the cache by kind, each upstream call within the gate's window (a 429's
  ``Retry-After`` pauses every process); a 401 for sleeve's token renews it once.
* **the client's own** ``Authorization: Bearer …``: passed through within the same gate,
  and the answer is the client's alone — never stored, never remembered (the edge makes
  no fast key for a request with credentials), ``Cache-Control: private``.

Answers are Spotify's JSON with its API URLs (``href``, ``next``, ``previous``) pointing
at sleeve, so a client following ``next`` stays on sleeve.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ..adapters.http import LARGE_BODY, UpstreamResponse
from ..adapters.spotify import NAME, SpotifyAdapter
from ..cache.keys import cache_key
from ..cache.responses import validated_response
from ..errors import GatewayError, answer_error
from ..upstream import ProxiedUpstream
from ..url_rewriting import PublicBase, UrlRewriter
from .kinds import UPSTREAM, kind
from .token import ClientCredentials

__all__ = ["MEDIA_TYPE", "NOT_CONFIGURED", "SpotifyService"]

MEDIA_TYPE = "application/json; charset=utf-8"
NOT_CONFIGURED = (
    "No token provided: sleeve has no Spotify client credentials "
    "(upstreams.spotify.client_id and client_secret); send your own Authorization: Bearer."
)


class SpotifyService:
    def __init__(
        self,
        adapter: SpotifyAdapter,
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
        """GET ``path`` (``/v1/…``) with the request's parameters named in ``names``."""
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
        _check(served.answer)
        body = await self._rendered(request, served.answer.body)
        return self._upstream.respond(
            request, served, body, {"Vary": "Accept"}, media_type=MEDIA_TYPE
        )

    async def document(self, path: str, query: list[tuple[str, str]], kind_name: str) -> Any:
        """Spotify's JSON for ``path``, with sleeve's token, through the cache (sleeve's own
        look-ups)."""
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
        rewriter = UrlRewriter([self._adapter.base_url], self.public.of(request))
        if len(body) > LARGE_BODY:
            import asyncio

            return await asyncio.to_thread(_rewritten, body, rewriter)
        return _rewritten(body, rewriter)


def _rewritten(body: bytes, rewriter: UrlRewriter) -> bytes:
    return json.dumps(rewriter.body(json.loads(body)), ensure_ascii=False).encode()


def _declared(request: Request, names: frozenset[str]) -> list[tuple[str, str]]:
    sent = parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    return [(name, value) for name, value in sent if name in names]


def _client_bearer(request: Request) -> str | None:
    """The client's own ``Authorization: Bearer`` token, if it sent one."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(400, "Only valid bearer authentication supported")
    return token.strip()


def _check(answer: UpstreamResponse, *, ours: bool = False) -> None:
    """A non-200 as the client's error; a 401 or 403 for sleeve's own token is sleeve's
    problem (refused credentials), not the client's."""
    if answer.status in (401, 403) and ours:
        raise GatewayError(502, f"{NAME} refused sleeve's token ({answer.status}).")
    if answer.status != 200:
        raise _error(answer.status, answer.body, dict(answer.headers))


def _error(status: int, body: bytes, headers: dict[str, str]) -> GatewayError:
    """The error a client gets for a non-200 Spotify answer."""
    said = None
    try:
        message = json.loads(body)["error"]["message"]
        said = message if isinstance(message, str) and message else None
    except (ValueError, KeyError, TypeError):
        pass
    return answer_error(
        NAME, status, headers, said=said, passed=(400, 401, 403, 404), retry_after=30
    )
