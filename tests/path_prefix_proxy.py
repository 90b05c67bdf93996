"""A reverse proxy that serves sleeve under a path prefix, as ``location /sleeve/ {
proxy_pass http://gateway/; }`` does in nginx: ``/sleeve/docs`` is the gateway's ``/docs``.

For tests of what must keep working behind one (the docs page, its "Try it out"). Run it
with ``EmulatorThread(PathPrefixProxy(gateway_url, "/sleeve"))``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from yarl import URL

# Hop-by-hop, or about the bytes on the wire, which aiohttp sets again itself.
_NOT_PASSED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class PathPrefixProxy:
    def __init__(self, target_url: str, prefix: str) -> None:
        self._target = target_url.rstrip("/")
        self._prefix = prefix.rstrip("/")
        self.forwarded: list[str] = []  # the paths (and queries) sent on to the gateway

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        async with aiohttp.ClientSession(auto_decompress=False) as self._session:
            try:
                yield f"http://{host}:{bound}"
            finally:
                await runner.cleanup()

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        raw = request.raw_path
        if not raw.startswith(self._prefix + "/"):
            return web.Response(status=404, text="not under the prefix")
        path = raw[len(self._prefix) :]
        self.forwarded.append(path)
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _NOT_PASSED and name.lower() != "host"
        }
        async with self._session.request(
            request.method,
            URL(self._target + path, encoded=True),
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            passed = {k: v for k, v in answer.headers.items() if k.lower() not in _NOT_PASSED}
            return web.Response(status=answer.status, headers=passed, body=body)
