"""State that must not be lost or evicted (issue 11): what sleeve has spent upstream
survives any amount of client traffic, and concurrent misses cost one call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulators.discogs import DiscogsEmulator, EmulatorThread
from tests.servers import gateway

LIMIT, WINDOW = 5, 60.0


@pytest.fixture
def strict_discogs() -> Iterator[tuple[DiscogsEmulator, str]]:
    """Discogs allowing 5 calls a minute; a 6th would be answered 429."""
    emulator = DiscogsEmulator(rate_limit=LIMIT, window_seconds=WINDOW)
    with EmulatorThread(emulator) as url:
        yield emulator, url


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
