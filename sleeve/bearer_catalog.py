"""A catalog API read with a bearer token (Spotify, TIDAL): the one way its answers go.

Two ways through, by whose token it is:

* **sleeve's** (the client sent no ``Authorization``): the answer is shared, so it goes
  through the cache by kind, each upstream call within the gate's window (a 429's
  ``Retry-After`` pauses every process); a 401 for sleeve's token renews it once, and a
  token still refused is sleeve's problem (502), never the client's.
* **the client's own** ``Authorization: Bearer …``: passed through within the same gate,
  and the answer is the client's alone — never stored, never remembered (the edge makes
  no fast key for a request with credentials), ``Cache-Control: private``.

The parameters forwarded are the operation's declared ones in one order (sorted, as the
cache key has them), so an answer kept under a key is the answer to that key's query.
Answers keep the upstream's JSON with its API's absolute URLs (under ``api_prefix``)
pointing at sleeve, so a client following ``next`` stays on sleeve. A subclass names the
upstream and reads its error bodies.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from .adapters.bearer import BearerAdapter
from .adapters.http import LARGE_BODY, UpstreamResponse
from .cache.keys import Kind, cache_key
from .cache.responses import validated_response
from .client_credentials import ClientCredentials
from .errors import GatewayError, answer_error
from .upstream import ProxiedUpstream
from .url_rewriting import PublicBase, UrlRewriter

__all__ = ["BearerCatalog"]

_PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class BearerCatalog:
    upstream_name: ClassVar[str]  # the cache's and the kinds' name: "spotify"
    media_type: ClassVar[str]
    api_prefix: ClassVar[str]  # "/v1": where its API lives, on the upstream and on sleeve
    bad_scheme: ClassVar[str] = "Only bearer authentication is supported: Authorization: Bearer …"

    def __init__(
        self,
        adapter: BearerAdapter,
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
        """Whether sleeve holds client credentials (else only clients' own tokens work)."""
        return self._token is not None

    @property
    def not_configured(self) -> str:
        name, key = self._adapter.name, self._adapter.settings
        return (
            f"No token provided: sleeve has no {name} client credentials (upstreams.{key}."
            "client_id and client_secret); send your own Authorization: Bearer."
        )

    async def forward(
        self, request: Request, path: str, kind_name: str, names: frozenset[str]
    ) -> Response:
        """GET ``path`` with the request's parameters named in ``names``."""
        query = _declared(request, names)
        own = self._client_bearer(request)
        if own is not None:
            answer = await self._upstream.fetched(partial(self._adapter.get, path, query, own))
            self._check(answer, ours=False)
            body = await self._rendered(request, answer.body)
            return validated_response(request, body, media_type=self.media_type, headers=_PRIVATE)
        served = await self._served(path, query, kind_name)
        body = await self._rendered(request, served.answer.body)
        return self._upstream.respond(
            request, served, body, {"Vary": "Accept"}, media_type=self.media_type
        )

    async def document(self, path: str, query: list[tuple[str, str]], kind_name: str) -> Any:
        """The upstream's JSON for ``path``, with sleeve's token, through the cache
        (sleeve's own look-ups)."""
        served = await self._served(path, sorted(query), kind_name)
        return json.loads(served.answer.body)

    def said(self, body: bytes) -> str | None:
        """The upstream's own words in an error body, if it has any."""
        raise NotImplementedError

    async def _served(self, path: str, query: list[tuple[str, str]], kind_name: str) -> Any:
        served = await self._upstream.served_by(
            cache_key(self.upstream_name, path, query, None),
            Kind(self.upstream_name, kind_name),
            partial(self._fetch, path, query),
        )
        self._check(served.answer, ours=True)
        return served

    async def _fetch(self, path: str, query: list[tuple[str, str]]) -> UpstreamResponse:
        """With sleeve's token; a 401 renews it and tries once more (each call a slot)."""
        if self._token is None:
            raise GatewayError(401, self.not_configured)
        bearer = await self._token.bearer()
        answer = await self._upstream.call(partial(self._adapter.get, path, query, bearer))
        if answer.status != 401:
            return answer
        await self._token.refused(bearer)
        bearer = await self._token.bearer()
        return await self._upstream.call(partial(self._adapter.get, path, query, bearer))

    async def _rendered(self, request: Request, body: bytes) -> bytes:
        prefix = self.api_prefix
        rewriter = UrlRewriter([self._adapter.base_url + prefix], self.public.of(request) + prefix)
        if len(body) > LARGE_BODY:
            return await asyncio.to_thread(_rewritten, body, rewriter)
        return _rewritten(body, rewriter)

    def _client_bearer(self, request: Request) -> str | None:
        """The client's own ``Authorization: Bearer`` token, if it sent one."""
        value = request.headers.get("authorization")
        if value is None:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(400, self.bad_scheme)
        return token.strip()

    def _check(self, answer: UpstreamResponse, *, ours: bool) -> None:
        """A non-200 as the client's error; a 401 or 403 for sleeve's own token is
        sleeve's problem (refused credentials), not the client's."""
        name = self._adapter.name
        if answer.status in (401, 403) and ours:
            raise GatewayError(502, f"{name} refused sleeve's token ({answer.status}).")
        if answer.status != 200:
            raise answer_error(
                name,
                answer.status,
                dict(answer.headers),
                said=self.said(answer.body),
                passed=(400, 401, 403, 404),
                retry_after=30,
            )


def _rewritten(body: bytes, rewriter: UrlRewriter) -> bytes:
    return json.dumps(rewriter.body(json.loads(body)), ensure_ascii=False).encode()


def _declared(request: Request, names: frozenset[str]) -> list[tuple[str, str]]:
    """The declared parameters, sorted (by name, then value): the cache key's order."""
    sent = parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    return sorted((name, value) for name, value in sent if name in names)
