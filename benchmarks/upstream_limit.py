"""Benchmark: how fully two gateway processes sharing Redis use an upstream's limit, and
whether any window the upstream sees ever holds more than it allows.

A Discogs emulator with Discogs' real limit (60 calls in any 60 s, answering 429 past
it) receives a backlog of distinct requests split over two ``sleeve serve`` processes,
straight and behind a relay that makes every other connection a second slow. Prints the
busiest 60 s window as the emulator saw it, the calls it refused, and the utilisation:
the fastest the backlog could drain, ``(ceil(N / limit) - 1) * window``, over the time
the calls actually spanned.

    python benchmarks/upstream_limit.py [--calls 180] [--window 60] [--limit 60]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import pathlib
import sys
import tempfile

import httpx

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread  # noqa: E402
from tests.cache.redis_server import RedisServer  # noqa: E402
from tests.servers import gateway_processes  # noqa: E402
from tests.slow_network import SlowNetwork  # noqa: E402
from tests.test_governance import busiest_window  # noqa: E402


async def drain(gateways: list[str], paths: list[str]) -> list[int]:
    async with httpx.AsyncClient(timeout=600) as client:
        answers = await asyncio.gather(
            *(client.get(gateways[i % 2] + path) for i, path in enumerate(paths))
        )
    return [answer.status_code for answer in answers]


def run(calls: int, limit: int, window: float, delay: float | None) -> None:
    emulator = DiscogsEmulator(rate_limit=limit, window_seconds=window)
    settings = {
        "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": str(limit),
        "SLEEVE_UPSTREAMS__DISCOGS__WINDOW": str(window),
        "SLEEVE_UPSTREAMS__DISCOGS__MAX_WAIT": str(window * (calls / limit + 2)),
    }
    redis = RedisServer().start()
    try:
        with EmulatorThread(emulator) as discogs_url, tempfile.TemporaryDirectory() as logs:
            upstream_url, network = discogs_url, None
            relay = None
            if delay is not None:
                network = SlowNetwork(discogs_url, delay=delay)
                relay = EmulatorThread(network)  # type: ignore[arg-type]
                upstream_url = relay.start()
            try:
                files = [pathlib.Path(logs) / "a.log", pathlib.Path(logs) / "b.log"]
                with gateway_processes(upstream_url, redis.url, files, **settings) as gateways:
                    ids = sorted(emulator.catalogue.releases)
                    paths = [f"/releases/{i}" for i in ids] + [f"/releases/{i}/stats" for i in ids]
                    statuses = asyncio.run(drain(gateways, paths[:calls]))
            finally:
                if relay is not None:
                    relay.stop()
    finally:
        redis.kill()
    arrivals = sorted(emulator.arrival_times())
    span = arrivals[-1] - arrivals[0]
    refused = sum(calls - 1 for calls in emulator.calls_by_path.values() if calls > 1)
    ideal = (math.ceil(len(arrivals) / limit) - 1) * window
    label = "direct" if delay is None else f"every other connection {delay:g} s slow"
    print(
        f"{label}: {len(arrivals)} calls in {span:.1f} s, answered {statuses.count(200)}/"
        f"{calls}; busiest {window:g} s window {busiest_window(arrivals, window)}/{limit}; "
        f"refused by the upstream {refused}; utilisation {ideal / span:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=180)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--delay", type=float, default=1.0, help="the slow connections' delay")
    args = parser.parse_args()
    for delay in (None, args.delay):
        run(args.calls, args.limit, args.window, delay)


if __name__ == "__main__":
    main()
