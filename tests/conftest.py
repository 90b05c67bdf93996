"""Shared fixtures: a Discogs emulator and a gateway in front of it, both over real HTTP."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.emulators.discogs import DiscogsEmulator, EmulatorThread
from tests.servers import gateway

ADMIN_TOKEN = "test-admin-token"


@dataclass(frozen=True)
class RunningEmulator:
    emulator: DiscogsEmulator
    url: str


@pytest.fixture(scope="session", autouse=True)
def _no_sleeve_environment() -> None:
    """Settings come from the tests alone, not from a developer's shell."""
    for name in [name for name in os.environ if name.upper().startswith("SLEEVE_")]:
        del os.environ[name]


@pytest.fixture(scope="session")
def discogs() -> Iterator[RunningEmulator]:
    """One emulator for the session, with limits far above what the suite sends."""
    emulator = DiscogsEmulator(rate_limit=1_000_000, anonymous_rate_limit=1_000_000)
    with EmulatorThread(emulator) as url:
        yield RunningEmulator(emulator, url)


@pytest.fixture(autouse=True)
def _fresh_upstream_and_cache(request: pytest.FixtureRequest) -> None:
    """Each test starts with an emulator that counted nothing and an empty gateway cache."""
    if "discogs" in request.fixturenames:
        request.getfixturevalue("discogs").emulator.reset()
    if "gateway_url" in request.fixturenames:
        purged = httpx.post(
            f"{request.getfixturevalue('gateway_url')}/_sleeve/cache/purge",
            json={"path": "/", "prefix": True},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert purged.status_code == 200, purged.text


@pytest.fixture(scope="session")
def gateway_cache(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("gateway-cache") / "cache.db"


@pytest.fixture(scope="session")
def gateway_url(discogs: RunningEmulator, gateway_cache: pathlib.Path) -> Iterator[str]:
    """A gateway in front of the session's emulator, validating its own answers."""
    with gateway(
        discogs.url, cache={"path": str(gateway_cache)}, server={"admin_token": ADMIN_TOKEN}
    ) as url:
        yield url
