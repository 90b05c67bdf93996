"""Readiness against a real Redis: 503 while the store is away, 200 again when it is back;
liveness stays 200 throughout."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cache.redis_server import RedisServer
from tests.conftest import RunningEmulator
from tests.metrics import scrape, value
from tests.servers import gateway

# How often to look before giving up: a Redis that failed rests up to 8 s before sleeve
# asks it again, so coming back takes that long at worst. A bound on polls, not a window.
POLLS = 200


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


def ready_status(base: str, wanted: int) -> httpx.Response:
    """The readiness answer once it is ``wanted`` (or the last one seen)."""
    for _ in range(POLLS):
        answer = httpx.get(f"{base}/_sleeve/ready")
        if answer.status_code == wanted:
            return answer
        time.sleep(0.05)
    return answer


def test_ready_goes_503_when_redis_stops_and_back(
    discogs: RunningEmulator, redis: RedisServer
) -> None:
    with gateway(discogs.url, cache={"backend": "redis", "redis_url": redis.url}) as url:
        ready = httpx.get(f"{url}/_sleeve/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["reasons"] == []
        assert ready.json()["redis"] == {"healthy": True}
        assert ready.json()["cache"] == {"backend": "redis", "healthy": True}
        assert set(ready.json()["upstreams"]) == {
            "discogs",
            "musicbrainz",
            "coverartarchive",
            "discogsimages",
            "itunes",
            "itunesimages",
            "spotify",
            "tidal",
        }

        redis.kill()
        down = ready_status(url, 503)
        assert down.status_code == 503
        assert down.json()["status"] == "unready"
        assert down.json()["reasons"] == ["the cache store (redis) is unreachable"]
        assert down.json()["redis"] == {"healthy": False}
        health = httpx.get(f"{url}/_sleeve/health")
        assert (health.status_code, health.json()["status"]) == (200, "degraded")  # liveness
        scraped = scrape(url)
        assert value(scraped, "sleeve_ready") == 0
        assert value(scraped, "sleeve_cache_store_up", backend="redis") == 0
        assert httpx.get(f"{url}/artists/1").status_code == 200  # still answers, uncached

        redis.start()  # the same port again
        back = ready_status(url, 200)
        assert back.status_code == 200
        assert back.json()["redis"] == {"healthy": True}
        assert value(scrape(url), "sleeve_ready") == 1


def test_ready_with_the_embedded_store(gateway_url: str) -> None:
    ready = httpx.get(f"{gateway_url}/_sleeve/ready")
    assert ready.status_code == 200
    assert ready.json()["cache"] == {"backend": "sqlite", "healthy": True}
    assert "redis" not in ready.json()
