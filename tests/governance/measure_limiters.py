"""Latency of ``acquire`` on each limiter backend; a script, not a test.

    python -m tests.governance.measure_limiters [--url redis://127.0.0.1:6379/0] [--uvloop]
        [--processes 2]

Without ``--url`` it starts its own redis-server (as the tests do) and stops it after.
Each line is one call at a time, so Redis lines are one round trip each, SQLite lines one
hop to the backend's thread and one transaction (in a temporary file). With
``--processes N``, N processes measure SQLite at once on one file, as N workers contend.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import pathlib
import random
import tempfile

from sleeve.governance.limiter import LimiterBackend
from sleeve.governance.local_limiter import LocalLimiterBackend
from sleeve.governance.redis_limiter import RedisLimiterBackend
from sleeve.governance.sqlite_limiter import SQLiteLimiterBackend
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
    with tempfile.TemporaryDirectory() as directory:
        embedded = SQLiteLimiterBackend(pathlib.Path(directory) / "limits.db")
        await measure_backend("sqlite", embedded, names, rounds)
        await embedded.close()


def contend(path: str, names: int, rounds: int) -> None:
    """One of N processes admitting on one SQLite file at once."""

    async def run() -> None:
        backend = SQLiteLimiterBackend(path)
        await measure_backend(f"sqlite/{multiprocessing.current_process().name[-1]}",
                              backend, names, rounds)  # fmt: skip
        await backend.close()

    asyncio.run(run())


def measure_contended(processes: int, names: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = str(pathlib.Path(directory) / "limits.db")
        workers = [
            multiprocessing.Process(target=contend, args=(path, names, rounds))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--names", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as uvicorn does")
    parser.add_argument("--processes", type=int, help="SQLite only, contended by N processes")
    args = parser.parse_args()
    if args.processes:
        measure_contended(args.processes, args.names, args.rounds)
        return
    with redis_url(args.url) as url:
        run = measure(url, args.names, args.rounds)
        if args.uvloop:
            import uvloop

            uvloop.run(run)
        else:
            asyncio.run(run)


if __name__ == "__main__":
    main()
