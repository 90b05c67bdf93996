"""Serving an emulator's aiohttp app on 127.0.0.1, for every emulator alike."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, **runner_options: Any
) -> AsyncIterator[str]:
    """Run ``app`` on ``host:port`` (0 = any free port); yields its base URL."""
    runner = web.AppRunner(app, handle_signals=False, **runner_options)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
