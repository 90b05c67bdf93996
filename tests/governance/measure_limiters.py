"""Latency of ``acquire`` on each limiter backend; a script, not a test.

    python -m tests.governance.measure_limiters [--url redis://127.0.0.1:6379/0] [--uvloop]

Without ``--url`` it starts its own redis-server (as the tests do) and stops it after.
Each line is one call at a time, so Redis lines are one round trip each.
"""

from __future__ import annotations

import argparse
import asyncio
import random

from sleeve.governance.limiter import LimiterBackend
from sleeve.governance.local_limiter import LocalLimiterBackend
from sleeve.governance.redis_limiter import RedisLimiterBackend
from tests.cache.measure_redis import redis_url
from tests.cache.measure_sqlite import latency


async def measure_backend(label: str, backend: LimiterBackend, names: int, rounds: int) -> None:
    """Admitted calls over ``names`` client-like limits, then denials and peeks on a full one."""
    full = backend.limiter("measure:full", 1, 3600.0)
    await full.acquire()
    for name, call in [
        ("acquire (admitted)", lambda i: backend.limiter(f"client:{i}", 10**9, 60.0).acquire()),
        ("acquire (denied)", lambda i: full.acquire()),
        ("peek", lambda i: backend.limiter(f"client:{i}", 10**9, 60.0).peek()),
    ]:
        print(f"{label:>6} {name:>18}: {await latency(call, rounds, names)}")
    await full.reset()
    for index in range(names):
        await backend.limiter(f"client:{index}", 10**9, 60.0).reset()


async def measure(url: str, names: int, rounds: int) -> None:
    random.seed(1)
    local = LocalLimiterBackend()
    await measure_backend("local", local, names, rounds)
    shared = RedisLimiterBackend(url, namespace="sleeve-measure:")
    await measure_backend("redis", shared, names, rounds)
    await shared.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--names", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as uvicorn does")
    args = parser.parse_args()
    with redis_url(args.url) as url:
        run = measure(url, args.names, args.rounds)
        if args.uvloop:
            import uvloop

            uvloop.run(run)
        else:
            asyncio.run(run)


if __name__ == "__main__":
    main()
