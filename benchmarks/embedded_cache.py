"""Benchmark: the embedded cache (SQLite, as shipped) holding many keys: how long a get
takes (p50/p99, found and not found), what the file and the process's memory come to.

Fills a fresh store with ``--keys`` answers of ``--body`` bytes (in batches of
concurrent puts, as a busy gateway would), then times ``--gets`` random gets from one
asyncio task, the way a request does. Reports against a baseline measured in the same
run: the same gets against a plain dict (the floor of any in-process lookup).

    python benchmarks/embedded_cache.py [--keys 1000000] [--body 500] [--gets 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import random
import resource
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sleeve.cache.entry import CachedAnswer  # noqa: E402
from sleeve.cache.sqlite_store import SQLiteStore  # noqa: E402

HEADERS = (("Content-Type", "application/json"),)


def key(n: int) -> str:
    return f"discogs:GET:/releases/{n}#default"


async def fill(store: SQLiteStore, keys: int, body: bytes, batch: int = 500) -> float:
    """Seconds to put ``keys`` answers."""
    now = time.time()
    answer = CachedAnswer(200, HEADERS, body, now, now + 86400, now + 10 * 86400, etag="")
    started = time.perf_counter()
    for first in range(0, keys, batch):
        await asyncio.gather(
            *(store.put(key(n), answer) for n in range(first, min(first + batch, keys)))
        )
        if first and first % 100_000 == 0:
            print(f"  {first:,} keys in {time.perf_counter() - started:.0f} s", flush=True)
    return time.perf_counter() - started


async def timed_gets(store: SQLiteStore, names: list[str]) -> list[float]:
    latencies = []
    for name in names:
        started = time.perf_counter()
        await store.get(name)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return f"p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--body", type=int, default=500, help="bytes per answer")
    parser.add_argument("--gets", type=int, default=20_000)
    args = parser.parse_args()
    body = b"x" * args.body
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "cache.db"
        store = SQLiteStore(path)  # the shipped defaults (max_bytes 1 GiB)
        seconds = await fill(store, args.keys, body)
        rng = random.Random(1)
        found = [key(rng.randrange(args.keys)) for _ in range(args.gets)]
        missing = [key(args.keys + rng.randrange(args.keys)) for _ in range(args.gets)]
        hits = await timed_gets(store, found)
        misses = await timed_gets(store, missing)
        table = {key(n): body for n in range(min(args.keys, 100_000))}
        floor = []
        for name in found:
            started = time.perf_counter()
            table.get(name)
            floor.append((time.perf_counter() - started) * 1000)
        size = sum(p.stat().st_size for p in pathlib.Path(directory).iterdir())
        await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"embedded cache, {args.keys:,} keys of {args.body} bytes:")
    print(f"  filled in {seconds:.0f} s ({args.keys / seconds:,.0f} puts/s)")
    print(f"  get, found:     {summary(hits)}")
    print(f"  get, not found: {summary(misses)}")
    print(f"  dict baseline:  {summary(floor)}")
    print(f"  files {size / 2**20:,.0f} MiB; process peak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
