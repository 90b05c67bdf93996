"""The image statistics: JSON for programs, a page with the daily hit-ratio curve for people."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse

from sleeve.backends import StoreUnavailable
from sleeve.errors import GatewayError
from sleeve.governance.limiter import RateLimiter
from sleeve.images.blob_store import BlobStore
from sleeve.images.stats_page import render_page

Counters = Callable[[], Awaitable[dict[str, int]]]


class ImageStatsHandlers:
    def __init__(self, blobs: BlobStore, budget: RateLimiter, counters: Counters) -> None:
        self._blobs = blobs
        self._budget = budget
        self._counters = counters

    async def get_image_stats(self) -> JSONResponse:
        return JSONResponse(await self._stats())

    async def get_image_stats_page(self) -> HTMLResponse:
        return HTMLResponse(render_page(await self._stats()))

    async def _stats(self) -> dict[str, Any]:
        try:
            counters = await self._counters()
            budget = await self._budget.peek()
        except StoreUnavailable:
            raise GatewayError(503, "The cache store is unavailable.") from None
        files, size = await self._blobs.usage()
        used = budget.used - int(budget.admitted)  # peek answers as if it had admitted one
        return {
            "stored": {"files": files, "bytes": size},
            "budget": {
                "limit": self._budget.limit,
                "window": self._budget.window,
                "used": used,
                "remaining": self._budget.limit - used,
                "reset": round(budget.reset, 1),
            },
            "kinds": _group(counters, "images:"),
            "days": _group(counters, "images-day:"),
        }


def _group(counters: dict[str, int], prefix: str) -> dict[str, dict[str, int]]:
    """``{"images:releases:hit": 3}`` → ``{"releases": {"hit": 3}}`` for one prefix."""
    grouped: dict[str, dict[str, int]] = {}
    for name, count in counters.items():
        if name.startswith(prefix):
            group, _, outcome = name[len(prefix) :].rpartition(":")
            grouped.setdefault(group, {})[outcome] = count
    return grouped
