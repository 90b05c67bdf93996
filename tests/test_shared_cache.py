"""Several gateway processes sharing one Redis behave as one cache; Redis going away is
an outage of the cache, never of the gateway."""

from __future__ import annotations

import asyncio
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cache.redis_server import RedisServer, free_port
from tests.conftest import RunningEmulator
from tests.servers import gateway


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


def start_gateway_process(
    discogs_url: str, redis_url: str, log: pathlib.Path
) -> tuple[subprocess.Popen, str]:
    """``sleeve serve`` in a process of its own, as an operator would run several."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    environment.update(
        {
            "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": discogs_url,
            "SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "emulator-token",
            "SLEEVE_CACHE__BACKEND": "redis",
            "SLEEVE_CACHE__REDIS_URL": redis_url,
            "SLEEVE_SERVER__VALIDATE_RESPONSES": "true",
            "SLEEVE_SERVER__LOG_LEVEL": "warning",
            "SLEEVE_CLIENTS__ANONYMOUS_LIMIT": "1000000",
            "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": "1000000",
        }
    )
    with log.open("wb") as output:  # a file, not a pipe nobody drains
        process = subprocess.Popen(
            [sys.executable, "-m", "sleeve", "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_sleeve/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(
        f"gateway did not start: {process.stderr.read().decode() if process.stderr else ''}"
    )


@pytest.fixture
def two_gateways(
    discogs: RunningEmulator, redis: RedisServer, tmp_path: pathlib.Path
) -> Iterator[list[str]]:
    started = [
        start_gateway_process(discogs.url, redis.url, tmp_path / f"gateway-{i}.log")
        for i in range(2)
    ]
    yield [url for _, url in started]
    for process, _ in started:
        process.terminate()
        process.wait(10)


async def test_fifty_concurrent_misses_across_two_processes_make_one_call(
    two_gateways: list[str], discogs: RunningEmulator
) -> None:
    discogs.emulator.set_mode("delay", seconds=0.5)
    async with httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(
            *(client.get(f"{two_gateways[i % 2]}/masters/1") for i in range(50))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert discogs.emulator.calls_by_path["/masters/1"] == 1
    ids = {answer.json()["id"] for answer in answers}
    assert ids == {1}


def test_a_hit_in_one_process_serves_the_other(
    two_gateways: list[str], discogs: RunningEmulator
) -> None:
    first, second = two_gateways
    httpx.get(f"{first}/releases/1")
    answer = httpx.get(f"{second}/releases/1")
    assert answer.headers["cache-status"].startswith("sleeve; hit")
    assert discogs.emulator.calls == 1


def test_redis_killed_mid_test_produces_no_errors(
    discogs: RunningEmulator, redis: RedisServer
) -> None:
    with gateway(discogs.url, cache={"backend": "redis", "redis_url": redis.url}) as url:
        assert httpx.get(f"{url}/artists/1").status_code == 200
        redis.kill()
        for path in ("/artists/1", "/artists/2", "/labels/1", "/_sleeve/cache/stats"):
            answer = httpx.get(url + path, timeout=10)
            assert answer.status_code in (200, 503), answer.text
            assert answer.status_code == 200 or path == "/_sleeve/cache/stats"
        health = httpx.get(f"{url}/_sleeve/health").json()
        assert health["status"] == "degraded"
        restarted = RedisServer(port=redis.port).start()
        try:
            assert httpx.get(f"{url}/_sleeve/health").json()["status"] == "ok"
            httpx.get(f"{url}/labels/2")
            again = httpx.get(f"{url}/labels/2")
            assert again.headers["cache-status"].startswith("sleeve; hit")
        finally:
            restarted.kill()


def test_stats_say_503_while_the_store_is_away(
    discogs: RunningEmulator, redis: RedisServer
) -> None:
    with gateway(discogs.url, cache={"backend": "redis", "redis_url": redis.url}) as url:
        redis.kill()
        answer = httpx.get(f"{url}/_sleeve/cache/stats")
    assert answer.status_code == 503
    assert "store" in answer.json()["message"]
