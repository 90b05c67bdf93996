"""The ``Gateway`` operations: sleeve's own health, cache statistics and cache purges."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from sleeve import __version__
from sleeve.backends import StoreUnavailable
from sleeve.cache.answer_cache import AnswerCache
from sleeve.cache.keys import path_key_prefixes
from sleeve.errors import GatewayError


class GatewayHandlers:
    """sleeve's own operations. The purge's admin token is checked at the edge, before its
    body is read (:mod:`sleeve.edge.request_guard`)."""

    def __init__(self, cache: AnswerCache, *, backend: str) -> None:
        self._cache = cache
        self._backend = backend

    async def get_health(self) -> JSONResponse:
        healthy = await self._cache.store.healthy()
        entries, held = self._cache.rendered.size
        cache = {
            "backend": self._backend,
            "healthy": healthy,
            "remembered": {"entries": entries, "bytes": held},
        }
        status = "ok" if healthy else "degraded"
        return JSONResponse({"status": status, "version": __version__, "cache": cache})

    async def get_cache_stats(self) -> JSONResponse:
        try:
            counters = await self._cache.counters()
        except StoreUnavailable:
            raise GatewayError(503, "The cache store is unavailable.") from None
        return JSONResponse({"upstreams": nest_counters(counters)})

    async def purge_cache(self, body: dict[str, Any]) -> JSONResponse:
        prefixes = path_key_prefixes(body["path"], whole_subtree=body.get("prefix", False))
        try:
            purged = await self._cache.purge(prefixes)
        except StoreUnavailable:
            raise GatewayError(503, "The cache store is unavailable.") from None
        return JSONResponse({"purged": purged})


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
