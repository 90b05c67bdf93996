"""State that must not be lost or evicted (issue 11): what sleeve has spent upstream
survives any amount of client traffic, and concurrent misses cost one call."""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Iterator

import httpx
import pytest

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from tests.cache.redis_server import RedisServer
from tests.servers import gateway, gateway_processes
from tests.slow_network import SlowNetwork
from tests.test_governance import busiest_window

LIMIT, WINDOW = 5, 60.0


@pytest.fixture
def strict_discogs() -> Iterator[tuple[DiscogsEmulator, str]]:
    """Discogs allowing 5 calls a minute; a 6th would be answered 429."""
    emulator = DiscogsEmulator(rate_limit=LIMIT, window_seconds=WINDOW)
    with EmulatorThread(emulator) as url:
        yield emulator, url


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


def from_address(address: str) -> httpx.Client:
    """A client whose requests come from ``address`` (any of 127.0.0.0/8 is this host)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def test_client_traffic_never_evicts_the_upstream_window(
    strict_discogs: tuple[DiscogsEmulator, str],
) -> None:
    """With room for only 10 callers' counts, 20 callers from 20 addresses push the oldest
    out; the Discogs window and the image budget are kept apart and stay whole."""
    emulator, discogs_url = strict_discogs
    settings = {
        "upstreams": {"discogs": {"rate_limit": LIMIT, "window": WINDOW, "max_wait": 0.5}},
        "clients": {"max_tracked": 10},
    }
    with gateway(discogs_url, **settings) as url:
        spent = [httpx.get(f"{url}/artists/{i}", timeout=10) for i in range(1, LIMIT + 1)]
        assert [answer.status_code for answer in spent] == [200] * LIMIT
        for host in range(2, 22):  # 20 callers, each counted once
            with from_address(f"127.0.0.{host}") as client:
                assert client.get(f"{url}/artists/1").status_code == 200  # a cached hit
        sixth = httpx.get(f"{url}/labels/1", timeout=10)
    assert sixth.status_code == 503, "the window was forgotten: a 6th call went out"
    assert "rate limit" in sixth.json()["message"]
    assert emulator.calls == LIMIT


@pytest.mark.slow
async def test_a_slow_network_never_squeezes_more_calls_into_an_upstream_window(
    redis: RedisServer, tmp_path: pathlib.Path
) -> None:
    """Two gateways sharing Redis, a Discogs of 10 calls per 2 s, and half the
    connections 1 s slow: every slot counts from its answer, so Discogs never sees more
    than 10 in any 2 s of its own, and so never refuses one (a refusal would show as a
    repeated path: sleeve's retry)."""
    limit, window = 10, 2.0
    emulator = DiscogsEmulator(rate_limit=limit, window_seconds=window)
    settings = {
        "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": str(limit),
        "SLEEVE_UPSTREAMS__DISCOGS__WINDOW": str(window),
        "SLEEVE_UPSTREAMS__DISCOGS__WINDOW_MARGIN": "0",  # the promise must not need one
        "SLEEVE_UPSTREAMS__DISCOGS__MAX_WAIT": "60",
    }
    with EmulatorThread(emulator) as discogs_url:
        network = SlowNetwork(discogs_url, delay=1.0)
        with EmulatorThread(network) as slow_url:  # type: ignore[arg-type]
            logs = [tmp_path / "a.log", tmp_path / "b.log"]
            with gateway_processes(slow_url, redis.url, logs, **settings) as gateways:
                ids = sorted(emulator.catalogue.releases)[:30]
                async with httpx.AsyncClient(timeout=120) as client:
                    answers = await asyncio.gather(
                        *(client.get(f"{gateways[i % 2]}/releases/{release}")
                          for i, release in enumerate(ids))
                    )  # fmt: skip
    assert [answer.status_code for answer in answers] == [200] * len(ids)
    assert network.slow_connections > 0
    repeated = [path for path, calls in emulator.calls_by_path.items() if calls > 1]
    assert not repeated, "Discogs refused a call: more than its limit arrived in a window"
    assert busiest_window(emulator.arrival_times(), window) <= limit


@pytest.mark.slow
def test_a_stalled_redis_stalls_nothing_and_is_logged_once(
    redis: RedisServer, tmp_path: pathlib.Path
) -> None:
    """Redis frozen (SIGSTOP) under two gateways: each request pays at most one Redis
    timeout per rest, not one per round trip, and each process logs the outage once and
    its end once (issue 11, item 11)."""
    emulator = DiscogsEmulator(rate_limit=1_000_000, anonymous_rate_limit=1_000_000)
    with EmulatorThread(emulator) as discogs_url:
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        with gateway_processes(discogs_url, redis.url, logs) as gateways:
            releases = sorted(emulator.catalogue.releases)[:7]
            for gateway_url in gateways:  # warm: answers cached, remembered
                assert httpx.get(f"{gateway_url}/releases/1", timeout=10).status_code == 200
            redis.pause()
            try:
                started = time.monotonic()
                statuses = [
                    httpx.get(
                        f"{gateways[i % 2]}/releases/{releases[i % 7]}", timeout=20
                    ).status_code
                    for i in range(40)
                ]
                took = time.monotonic() - started
            finally:
                redis.resume()
            for gateway_url in gateways:  # health probes Redis at once
                health = httpx.get(f"{gateway_url}/_sleeve/health", timeout=10).json()
                assert health["status"] == "ok"
            assert httpx.get(f"{gateways[0]}/artists/2", timeout=10).status_code == 200
    assert statuses == [200] * 40
    # Without resting, each request paid ~0.5 s per Redis round trip: 40 took 20+ s.
    assert took < 12, f"40 requests took {took:.1f} s while Redis was frozen"
    for log in logs:
        said = log.read_text().splitlines()
        outages = [line for line in said if "unavailable" in line]
        assert 1 <= len(outages) <= 4, outages  # the connection, the limits: once each
