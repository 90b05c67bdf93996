"""Latency of RedisStore on a warm local Redis; a script, not a test.

    python -m tests.cache.measure_redis [--url redis://127.0.0.1:6379/0] [--uvloop]

Without ``--url`` it starts its own redis-server (as the tests do) and stops it after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Iterator

from sleeve.cache.redis_store import RedisStore
from tests.cache.measure_sqlite import key, latency, make_answer
from tests.cache.redis_server import RedisServer


@contextlib.contextmanager
def redis_url(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.kill()


async def measure(url: str, keys: int, body: int, rounds: int) -> None:
    store = RedisStore(url, namespace="sleeve-measure:")
    answer = make_answer(body)
    for index in range(keys):
        await store.put(key(index), answer)
    for label, call in [
        ("get (hit)", lambda i: store.get(key(i))),
        ("get (miss)", lambda i: store.get(f"missing/{i}")),
        ("put (replace)", lambda i: store.put(key(i), answer)),
        ("incr", lambda i: store.incr("measure")),
        ("try_lock+unlock", lambda i: _lock_cycle(store, i)),
    ]:
        print(f"{label:>16}: {await latency(call, rounds, keys)}")
    await store.purge_prefix("")
    await store.close()


async def _lock_cycle(store: RedisStore, index: int) -> None:
    token = await store.try_lock(f"fill/{index}", ttl=5)
    assert token is not None
    await store.unlock(f"fill/{index}", token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--body", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    with redis_url(args.url) as url:
        run = measure(url, args.keys, args.body, args.rounds)
        if args.uvloop:
            import uvloop

            uvloop.run(run)
        else:
            asyncio.run(run)


if __name__ == "__main__":
    main()
