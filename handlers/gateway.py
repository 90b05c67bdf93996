"""The ``Gateway`` operations: sleeve's own health, cache statistics and cache purges."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sleeve import __version__
from sleeve.backends import StoreUnavailable
from sleeve.cache.answer_cache import AnswerCache
from sleeve.cache.keys import path_key_prefixes
from sleeve.errors import GatewayError


class GatewayHandlers:
    def __init__(self, cache: AnswerCache, *, backend: str, admin_token: str | None) -> None:
        self._cache = cache
        self._backend = backend
        self._admin_token = admin_token

    async def get_health(self) -> JSONResponse:
        healthy = await self._cache.store.healthy()
        return JSONResponse(
            {
                "status": "ok" if healthy else "degraded",
                "version": __version__,
                "cache": {"backend": self._backend, "healthy": healthy},
            }
        )

    async def get_cache_stats(self) -> JSONResponse:
        try:
            counters = await self._cache.counters()
        except StoreUnavailable:
            raise GatewayError(503, "The cache store is unavailable.") from None
        return JSONResponse({"upstreams": nest_counters(counters)})

    async def purge_cache(self, request: Request, body: dict[str, Any]) -> JSONResponse:
        self._check_admin(request.headers.get("authorization"))
        prefixes = path_key_prefixes(body["path"], whole_subtree=body.get("prefix", False))
        try:
            purged = await self._cache.purge(prefixes)
        except StoreUnavailable:
            raise GatewayError(503, "The cache store is unavailable.") from None
        return JSONResponse({"purged": purged})

    def _check_admin(self, authorization: str | None) -> None:
        """401 without a bearer token (RFC 9110 §15.5.2); 403 when it cannot be accepted."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(
                401,
                "An admin token is required (Authorization: Bearer …).",
                {"WWW-Authenticate": "Bearer"},
            )
        if self._admin_token is None:
            raise GatewayError(403, "Admin operations are disabled: no server.admin_token is set.")
        if not hmac.compare_digest(token.strip().encode(), self._admin_token.encode()):
            raise GatewayError(403, "A valid admin token is required.")


def upstream_is_images(name: str) -> bool:
    """Image counters have a page of their own (``/_sleeve/images/stats``)."""
    return name.startswith("images")


def nest_counters(counters: dict[str, int]) -> dict[str, dict[str, dict[str, int]]]:
    """``{"discogs:artist:hit": 3}`` → ``{"discogs": {"artist": {"hit": 3}}}``."""
    nested: dict[str, dict[str, dict[str, int]]] = {}
    for name, count in counters.items():
        parts = name.split(":")
        if len(parts) == 3 and not upstream_is_images(parts[0]):
            upstream, kind, outcome = parts
            nested.setdefault(upstream, {}).setdefault(kind, {})[outcome] = count
    return nested
