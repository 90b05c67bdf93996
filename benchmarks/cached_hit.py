"""Benchmark: a cache hit through sleeve against a bare Starlette app serving the same bytes.

Both run on one uvicorn worker in processes of their own and are driven by the same load
generator (wrk when installed, else a small aiohttp one), alternately, in the same run.
Prints requests/s and p99 latency of each and the ratios.

    python benchmarks/cached_hit.py [--seconds 10] [--connections 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread  # noqa: E402
from tests.cache.redis_server import free_port  # noqa: E402

PATH = "/artists/1"


@contextmanager
def process(command: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(health, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.1)
        yield
    finally:
        child.terminate()
        child.wait(10)


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}


@contextmanager
def sleeve(discogs_url: str, cache_dir: str) -> Iterator[str]:
    port = free_port()
    env = clean_environment() | {
        "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": discogs_url,
        "SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "emulator-token",
        "SLEEVE_CACHE__PATH": f"{cache_dir}/cache.db",
        "SLEEVE_SERVER__LOG_LEVEL": "warning",
        # The client limit still runs on every hit; it is only set too high to refuse.
        "SLEEVE_CLIENTS__ANONYMOUS_LIMIT": "1000000000",
    }
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sleeve", "serve", "--port", str(port)]
    with process(command, env, f"{url}/_sleeve/health"):
        yield url


@contextmanager
def bare(body: bytes, directory: str) -> Iterator[str]:
    port = free_port()
    body_file = pathlib.Path(directory) / "body.json"
    body_file.write_bytes(body)
    env = clean_environment() | {"BARE_BODY_FILE": str(body_file), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with process(command, env, url + PATH):
        yield url


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def _python_load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    import aiohttp

    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with session.get(url) as answer:
                await answer.read()
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return len(latencies) / seconds, statistics.quantiles(latencies, n=100)[98]


def load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """``(requests per second, p99 latency in ms)`` of ``url`` under steady load."""
    if shutil.which("wrk"):
        return run_wrk(url, seconds, connections)
    return asyncio.run(_python_load(url, seconds, connections))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    generator = "wrk" if shutil.which("wrk") else "python (aiohttp)"
    emulator = DiscogsEmulator(rate_limit=10**6, anonymous_rate_limit=10**6)
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "sleeve": []}
    with (
        tempfile.TemporaryDirectory() as directory,
        EmulatorThread(emulator) as discogs_url,
        sleeve(discogs_url, directory) as sleeve_url,
    ):
        warm = httpx.get(sleeve_url + PATH)
        assert httpx.get(sleeve_url + PATH).headers["cache-status"].startswith("sleeve; hit")
        upstream_calls = emulator.calls
        with bare(warm.content, directory) as bare_url:
            for _ in range(args.rounds):
                for name, url in (("bare", bare_url), ("sleeve", sleeve_url)):
                    results[name].append(load(url + PATH, args.seconds, args.connections))
        assert emulator.calls == upstream_calls, "the benchmark must measure hits only"
    report(results, generator, len(warm.content), args)
    return 0


def report(
    results: dict[str, list[tuple[float, float]]],
    generator: str,
    size: int,
    args: argparse.Namespace,
) -> None:
    def median(name: str, index: int) -> float:
        return statistics.median(result[index] for result in results[name])

    print(
        f"cached hit of {PATH} ({size} bytes), {generator}, {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds} s each, medians:"
    )
    for name in ("bare", "sleeve"):
        print(f"  {name:7} {median(name, 0):9.0f} req/s   p99 {median(name, 1):7.2f} ms")
    throughput = median("sleeve", 0) / median("bare", 0)
    p99 = median("sleeve", 1) / median("bare", 1)
    print(f"  throughput ratio sleeve/bare: {throughput:.2f} (target >= 0.60)")
    print(f"  p99 ratio sleeve/bare:        {p99:.2f} (target <= 2.00)")


if __name__ == "__main__":
    sys.exit(main())
