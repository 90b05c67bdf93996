"""The image statistics: JSON for programs, a page with the daily hit-ratio curve for people."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse

from sleeve.backends import StoreUnavailable
from sleeve.errors import GatewayError
from sleeve.governance.limiter import RateLimiter
from sleeve.images.blob_store import BlobStore

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


def render_page(stats: dict[str, Any]) -> str:
    """A self-contained page: the figures, and the daily hit ratio as an SVG line."""
    days = sorted(stats["days"].items())
    ratios = [
        (day, counts.get("hit", 0) / max(1, counts.get("hit", 0) + counts.get("miss", 0)))
        for day, counts in days
    ]
    budget = stats["budget"]
    rows = "".join(
        f"<tr><td>{html.escape(day)}</td><td>{c.get('hit', 0)}</td><td>{c.get('miss', 0)}</td>"
        f"<td>{ratio:.1%}</td></tr>"
        for (day, c), (_, ratio) in zip(days, ratios, strict=True)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sleeve images</title>
<style>body{{font:15px system-ui,sans-serif;margin:2em;max-width:60em}}
td,th{{padding:.2em .8em;text-align:right}}</style></head><body>
<h1>Images</h1>
<p>{stats["stored"]["files"]} files stored, {stats["stored"]["bytes"]:,} bytes.
Upstream budget: {budget["used"]} of {budget["limit"]} used in the current window,
{budget["remaining"]} left.</p>
<h2>Hit ratio per day</h2>
{_svg(ratios)}
<table><tr><th>day</th><th>hits</th><th>misses</th><th>hit ratio</th></tr>{rows}</table>
</body></html>"""


def _svg(ratios: list[tuple[str, float]], width: int = 600, height: int = 200) -> str:
    if not ratios:
        return "<p>No image requests yet.</p>"
    step = width / max(1, len(ratios) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - ratio * height:.1f}" for i, (_, ratio) in enumerate(ratios)
    )
    return (
        f'<svg viewBox="-40 -10 {width + 60} {height + 40}" width="{width + 60}" '
        f'role="img" aria-label="daily hit ratio">'
        f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>'
        f'<line x1="0" y1="0" x2="0" y2="{height}" stroke="#888"/>'
        f'<text x="-35" y="5">100%</text><text x="-25" y="{height}">0%</text>'
        f'<polyline fill="none" stroke="#1a6" stroke-width="2" points="{points}"/>'
        f'<text x="0" y="{height + 20}">{html.escape(ratios[0][0])}</text>'
        f'<text x="{width - 80}" y="{height + 20}">{html.escape(ratios[-1][0])}</text></svg>'
    )
