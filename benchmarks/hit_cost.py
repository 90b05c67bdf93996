"""Benchmark: the CPU cost of one cached hit inside the process, with no server and no
network, against a bare Starlette app sending the same bytes: where a hit's time goes.

The gateway is built as shipped (``create_app`` with default settings, in front of a
Discogs emulator, logging configured as ``sleeve serve`` does), started through its
lifespan, and a request is answered once so that repeats are hits. Then the same request
is sent ``--calls`` times, from one task, three ways: into the bare app, into sleeve's ASGI
stack (the way a hit goes under a server other than ``sleeve serve``'s), and to sleeve's
hit front (:mod:`sleeve.edge.hit_front`: what ``sleeve serve``'s HTTP protocol asks first).
Each run is repeated ``--rounds`` times and the best round kept (the least disturbed by
the rest of the machine). The access log goes to /dev/null, so its formatting is
measured, not a terminal; ``HIT_COST_LOG_LEVEL=WARNING`` turns it off.

    python benchmarks/hit_cost.py [--calls 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pathlib
import sys
import tempfile
import time
import warnings
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from sleeve.app import create_app  # noqa: E402
from sleeve.config import load_settings  # noqa: E402
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread  # noqa: E402
from sleeve.observability.logs import configure_logging  # noqa: E402

PATH = "/artists/1"
Scope = dict[str, Any]


def scope_for(path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"bench/1.0")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def call(app: Any, path: str) -> tuple[int, bytes]:
    """One request into ``app``; its status and body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_for(path), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


async def per_call_us(app: Any, path: str, calls: int, rounds: int) -> float:
    """Microseconds per call, the best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            await call(app, path)
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def front_call_us(front: Any, path: str, calls: int, rounds: int) -> float:
    """Microseconds per answer of the hit front, the best of ``rounds`` (a server's own
    headers included, as uvicorn hands them over)."""
    server_headers = [(b"date", b"Tue, 01 Dec 2026 12:00:00 GMT"), (b"server", b"uvicorn")]
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            scope = scope_for(path)  # a server makes one per request too
            answer = front.answer(scope, keep_alive=True, server_headers=server_headers)
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
        assert answer is not None and answer.startswith(b"HTTP/1.1 200 "), answer
    return best


class Lifespan:
    """Runs an ASGI app's lifespan in this loop, as a server would."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> Lifespan:
        self._task = asyncio.create_task(
            self.app({"type": "lifespan", "state": {}}, self._inbox.get, self._outbox.put)
        )
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        assert message["type"] == "lifespan.startup.complete", message
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        await self._task


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    level = os.environ.get("HIT_COST_LOG_LEVEL", "INFO")  # WARNING: without the access log
    configure_logging(level, "text")
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    emulator = DiscogsEmulator(rate_limit=10**6, anonymous_rate_limit=10**6)
    with tempfile.TemporaryDirectory() as directory, EmulatorThread(emulator) as discogs_url:
        settings = load_settings(
            upstreams={"discogs": {"base_url": discogs_url, "token": "emulator-token"}},
            cache={"path": f"{directory}/cache.db"},
            images={"path": f"{directory}/images"},
            acousticbrainz={"path": f"{directory}/acousticbrainz.db"},
            clients={"anonymous_limit": 10**9},  # one address sends everything
        )
        sleeve = create_app(settings)
        async with Lifespan(sleeve):
            status, body = await call(sleeve, PATH)
            assert status == 200, status
            calls_before = emulator.calls
            sleeve_us = await per_call_us(sleeve, PATH, args.calls, args.rounds)
            front_us = front_call_us(sleeve.hit_front, PATH, args.calls, args.rounds)
            assert emulator.calls == calls_before, "only hits were measured"

    async def answer(request: Request) -> Response:
        return Response(body, media_type="application/json")

    bare = Starlette(routes=[Route("/{path:path}", answer)])
    bare_us = await per_call_us(bare, PATH, args.calls, args.rounds)
    print(f"one cached hit of {PATH} ({len(body)} bytes) inside the app, best of {args.rounds}:")
    print(f"  bare Starlette       {bare_us:7.1f} us")
    print(f"  sleeve, ASGI stack   {sleeve_us:7.1f} us   ({bare_us / sleeve_us:.2f}x bare's rate)")
    print(f"  sleeve, hit front    {front_us:7.1f} us   ({bare_us / front_us:.2f}x bare's rate)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
