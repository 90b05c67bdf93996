"""Memory and latency of SQLiteStore at scale; a script, not a test (too slow for the suite).

    python -m tests.cache.measure_sqlite --keys 1000000 [--path /tmp/x.db] [--uvloop]

1. ``put`` through the public API for ``--api-seconds``, printing RSS as keys accumulate
   (flat RSS means the store keeps no per-key state in the process);
2. bulk-load the remaining keys straight into the documented table, since a million
   one-transaction ``put``s take minutes and measure nothing new;
3. on the warm store, through the public API: ``get`` of random keys (a cold hit also
   refreshes ``accessed_at``, a write), misses, ``put`` replacements, and ``get`` of
   1000 hot keys (read-only), with the bare event-loop-to-thread hop as a baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sleeve.backends import key_bytes
from sleeve.cache import CachedAnswer
from sleeve.cache.sqlite_store import SQLiteStore


def rss_mib() -> float:
    """Resident set size of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def key(index: int) -> str:
    return f"discogs:/releases/{index}?page=1&per_page=50"


def make_answer(body_size: int) -> CachedAnswer:
    now = time.time()
    link = '<https://sleeve.example/releases/1?page=2>; rel="next"'
    body = b"x" * body_size
    return CachedAnswer(200, (("Link", link),), body, now, now + 3600, now + 86400, '"e"')


async def fill_through_api(store: SQLiteStore, keys: int, seconds: float, body: int) -> int:
    answer, started, index = make_answer(body), time.monotonic(), 0
    while index < keys and time.monotonic() - started < seconds:
        await store.put(key(index), answer)
        index += 1
        if index % 50_000 == 0:
            rate = index / (time.monotonic() - started)
            print(f"  api put {index:>9,} keys  RSS {rss_mib():6.1f} MiB  {rate:,.0f} puts/s")
    return index


def bulk_load(path: str, start: int, keys: int, body: int) -> None:
    value = make_answer(body).encode()
    keep_until, now = time.time() + 86400, time.time()
    with sqlite3.connect(path, isolation_level=None) as conn:
        for first in range(start, keys, 20_000):
            rows = [
                (kb, keep_until, now, len(kb) + len(value), value)
                for kb in (key_bytes(key(i)) for i in range(first, min(first + 20_000, keys)))
            ]
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT OR IGNORE INTO entries (key, keep_until, accessed_at, size, value) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
    conn.close()


async def latency(call: Callable[[int], Awaitable[object]], rounds: int, keys: int) -> str:
    samples = []
    for _ in range(rounds):
        index = random.randrange(keys)
        started = time.perf_counter()
        await call(index)
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    return f"mean {statistics.fmean(samples):7.1f} µs  p50 {p50:7.1f} µs  p99 {p99:7.1f} µs"


async def measure(args: argparse.Namespace) -> None:
    store = SQLiteStore(args.path, max_bytes=args.max_bytes)
    print(f"start: RSS {rss_mib():.1f} MiB, file {args.path}")
    through_api = await fill_through_api(store, args.keys, args.api_seconds, args.body)
    print(f"filled {through_api:,} keys through put(); RSS {rss_mib():.1f} MiB")
    started = time.monotonic()
    bulk_load(args.path, through_api, args.keys, args.body)
    print(f"bulk-loaded to {args.keys:,} keys in {time.monotonic() - started:.0f} s")
    stored, answer = await store.stored_bytes(), make_answer(args.body)
    print(f"stored_bytes {stored / 2**20:,.0f} MiB, file {file_mib(args.path):,.0f} MiB")
    hop = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    hot = min(1000, args.keys)
    for label, call, keys in [
        ("thread hop only", lambda i: loop.run_in_executor(hop, int), args.keys),
        ("get (cold hit)", lambda i: store.get(key(i)), args.keys),
        ("get (miss)", lambda i: store.get(f"missing/{i}"), args.keys),
        ("put (replace)", lambda i: store.put(key(i), answer), args.keys),
        ("get (hot hit)", lambda i: store.get(key(i)), hot),
    ]:
        print(f"{label:>16}: {await latency(call, args.rounds, keys)}")
    hop.shutdown()
    print(f"end: RSS {rss_mib():.1f} MiB with {args.keys:,} keys")
    await store.close()


def file_mib(path: str) -> float:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--body", type=int, default=512, help="body bytes per answer")
    parser.add_argument("--api-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--max-bytes", type=int, default=1 << 40)
    parser.add_argument("--path", default=os.path.join(tempfile.mkdtemp(), "cache.db"))
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as uvicorn does")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(measure(args))
    else:
        asyncio.run(measure(args))


if __name__ == "__main__":
    main()
