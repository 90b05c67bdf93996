"""Benchmark: a cache hit through sleeve, as shipped, against a bare Starlette app serving
the same bytes and, when nginx is installed, nginx's ``proxy_cache`` in front of the same
emulator (what a user would put in front of Discogs instead); and what a miss adds.

Every server runs one worker in a process of its own; the same load generator (wrk when
installed, else a small aiohttp one) drives them alternately, in the same run. sleeve runs
with its default settings (its access log on) but one: the anonymous client limit, raised
so that the load generator's one address is never refused (every answer is checked to be
a 200). Prints requests/s and p99 latency of each, the ratios, and the time sleeve adds to
an upstream call on a miss (a miss through sleeve against the same call made directly).

``--workers N`` also runs ``sleeve serve --workers N`` (in the same rounds) and prints its
ratio to one worker. The load generator is not pinned: on a machine with few cores it
competes with the workers for them, which the figure includes.

    python benchmarks/cached_hit.py [--seconds 10] [--connections 32] [--rounds 3]
                                    [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
def sleeve(discogs_url: str, cache_dir: str, workers: int = 1) -> Iterator[str]:
    port = free_port()
    env = clean_environment() | {
        "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": discogs_url,
        "SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "emulator-token",
        "SLEEVE_CACHE__PATH": f"{cache_dir}/cache.db",
        "SLEEVE_IMAGES__PATH": f"{cache_dir}/images",
        "SLEEVE_ACOUSTICBRAINZ__PATH": f"{cache_dir}/acousticbrainz.db",
        # The client limit still runs on every hit; it is only set too high to refuse.
        "SLEEVE_CLIENTS__ANONYMOUS_LIMIT": "1000000000",
    }
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sleeve", "serve", "--port", str(port)]
    command += ["--workers", str(workers)] if workers > 1 else []
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


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    proxy_cache_path {dir}/cache keys_zone=discogs:10m;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_cache discogs;
            proxy_cache_valid 200 1h;
            proxy_ignore_headers Cache-Control Expires Set-Cookie;
        }}
    }}
}}
"""


@contextmanager
def nginx(discogs_url: str, directory: str) -> Iterator[str]:
    """nginx with ``proxy_cache`` in front of the emulator, one worker, access log on."""
    port = free_port()
    folder = pathlib.Path(directory) / "nginx"
    folder.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # its worker must reach the folder
    config = folder / "nginx.conf"
    config.write_text(NGINX_CONF.format(user=user, dir=folder, port=port, upstream=discogs_url))
    url = f"http://127.0.0.1:{port}"
    with process(["nginx", "-p", str(folder), "-c", str(config)], os.environ.copy(), url + PATH):
        yield url


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered something else than 200:\n{output}")
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
                if answer.status != 200:
                    raise RuntimeError(f"{url} answered {answer.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return len(latencies) / seconds, statistics.quantiles(latencies, n=100)[98]


def load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """``(requests per second, p99 latency in ms)`` of ``url`` under steady load."""
    if shutil.which("wrk"):
        return run_wrk(url, seconds, connections)
    return asyncio.run(_python_load(url, seconds, connections))


def miss_cost(discogs_url: str, sleeve_url: str, count: int) -> list[float]:
    """Milliseconds sleeve adds to an upstream call on a miss: for ``count`` distinct
    pages, the emulator asked directly, then through sleeve (a miss each: a page it has
    not seen), one at a time."""
    added: list[float] = []
    with httpx.Client(timeout=30) as client:
        for n in range(1, count + 1):
            path = f"/artists/1/releases?page=1&per_page={n}"
            started = time.perf_counter()
            client.get(discogs_url + path).raise_for_status()
            direct = time.perf_counter() - started
            started = time.perf_counter()
            answer = client.get(sleeve_url + path)
            through = time.perf_counter() - started
            assert answer.status_code == 200, (answer.status_code, answer.text)
            assert answer.headers["cache-status"].startswith("sleeve; fwd=miss"), answer.headers
            added.append((through - direct) * 1000)
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--misses",
        type=int,
        default=40,
        help="distinct pages for the miss cost (Discogs allows 60 calls a minute: more waits)",
    )
    parser.add_argument("--workers", type=int, default=1, help="also sleeve with N workers")
    args = parser.parse_args()
    generator = "wrk" if shutil.which("wrk") else "python (aiohttp)"
    emulator = DiscogsEmulator(rate_limit=10**6, anonymous_rate_limit=10**6)
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "sleeve": []}
    with (
        tempfile.TemporaryDirectory() as directory,
        EmulatorThread(emulator) as discogs_url,
        sleeve(discogs_url, directory) as sleeve_url,
        contextlib.ExitStack() as servers,
    ):
        warm = httpx.get(sleeve_url + PATH)
        assert httpx.get(sleeve_url + PATH).headers["cache-status"].startswith("sleeve; hit")
        upstream_calls = emulator.calls
        urls = {"bare": servers.enter_context(bare(warm.content, directory)), "sleeve": sleeve_url}
        if args.workers > 1:
            name = f"sleeve-w{args.workers}"
            results[name] = []
            pooled = servers.enter_context(
                sleeve(discogs_url, f"{directory}/workers", workers=args.workers)
            )
            for _ in range(4 * args.workers):  # into each worker's memory (the kernel picks)
                httpx.get(pooled + PATH)
            upstream_calls = emulator.calls
            urls[name] = pooled
        if shutil.which("nginx"):
            results["nginx"] = []
            urls["nginx"] = servers.enter_context(nginx(discogs_url, directory))
            upstream_calls += 1  # nginx's own first fetch; the rest are its hits
        for _ in range(args.rounds):
            for name, url in urls.items():
                results[name].append(load(url + PATH, args.seconds, args.connections))
        assert emulator.calls == upstream_calls, "the benchmark must measure hits only"
        added = miss_cost(discogs_url, sleeve_url, args.misses)
    report(results, generator, len(warm.content), args)
    print(
        f"  a miss: sleeve adds {statistics.median(added):.2f} ms to the upstream call "
        f"(median; p90 {statistics.quantiles(added, n=10)[8]:.2f} ms) over {len(added)} "
        "distinct pages, one at a time"
    )
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
    for name in results:
        print(f"  {name:9} {median(name, 0):9.0f} req/s   p99 {median(name, 1):7.2f} ms")
    for baseline in [name for name in ("bare", "nginx") if name in results]:
        throughput = median("sleeve", 0) / median(baseline, 0)
        p99 = median("sleeve", 1) / median(baseline, 1)
        print(f"  sleeve/{baseline}: throughput {throughput:.2f}x, p99 {p99:.2f}x")
    for pooled in [name for name in results if name.startswith("sleeve-w")]:
        throughput = median(pooled, 0) / median("sleeve", 0)
        print(f"  {pooled}/sleeve (one worker): throughput {throughput:.2f}x")
    if "nginx" not in results:
        print("  (nginx not installed: apt-get install nginx-light for its baseline)")


if __name__ == "__main__":
    sys.exit(main())
