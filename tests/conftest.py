"""Shared fixtures: a Discogs emulator and a gateway in front of it, both over real HTTP."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from sleeve.emulators.coverart import CoverArtEmulator
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.emulators.itunes import ITunesEmulator
from sleeve.emulators.musicbrainz import MusicBrainzEmulator
from sleeve.emulators.spotify import SpotifyEmulator
from sleeve.emulators.tidal import TidalEmulator
from tests.servers import gateway

ADMIN_TOKEN = "test-admin-token"


@dataclass(frozen=True)
class RunningEmulator:
    emulator: DiscogsEmulator
    url: str


@dataclass(frozen=True)
class RunningMusicBrainz:
    emulator: MusicBrainzEmulator
    url: str  # without /ws/2, as a client's host setting


@dataclass(frozen=True)
class RunningCoverArt:
    emulator: CoverArtEmulator
    url: str

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: what ``images.allowed_hosts`` must name to fetch from it."""
        return self.url.removeprefix("http://")


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


@pytest.fixture(scope="session")
def musicbrainz() -> Iterator[RunningMusicBrainz]:
    """A MusicBrainz emulator whose own limit is far above what the suite sends (tests of
    sleeve's 1/s governance bring their own)."""
    emulator = MusicBrainzEmulator(rate_limit=1_000_000)
    with EmulatorThread(emulator) as url:
        yield RunningMusicBrainz(emulator, url)


@pytest.fixture(scope="session")
def coverart() -> Iterator[RunningCoverArt]:
    emulator = CoverArtEmulator()
    with EmulatorThread(emulator) as url:
        yield RunningCoverArt(emulator, url)


@dataclass(frozen=True)
class RunningITunes:
    emulator: ITunesEmulator
    url: str


@pytest.fixture(scope="session")
def itunes_upstream() -> Iterator[RunningITunes]:
    """An iTunes emulator whose own limit is far above what the suite sends."""
    emulator = ITunesEmulator(rate_limit=1_000_000)
    with EmulatorThread(emulator) as url:
        yield RunningITunes(emulator, url)


@pytest.fixture(scope="session")
def spotify_upstream() -> Iterator[str]:
    """A Spotify emulator (accounts and Web API on one port) for the session's gateway."""
    with EmulatorThread(SpotifyEmulator(rate_limit=1_000_000)) as url:
        yield url


@pytest.fixture(scope="session")
def tidal_upstream() -> Iterator[str]:
    """A TIDAL emulator (token endpoint and API on one port) for the session's gateway,
    without its own limit (its default is TIDAL's 2 per 10 s)."""
    with EmulatorThread(TidalEmulator(rate_limit=None)) as url:
        yield url


def metabrainz_settings(musicbrainz: RunningMusicBrainz, coverart: RunningCoverArt) -> dict:
    """Gateway settings pointing MusicBrainz and the Cover Art Archive at the emulators."""
    return {
        "upstreams": {
            "musicbrainz": {"base_url": f"{musicbrainz.url}/ws/2", "rate_limit": 1_000_000},
            "coverartarchive": {"base_url": coverart.url, "rate_limit": 1_000_000},
        },
        "images": {
            "require_key": False,
            "allowed_hosts": [coverart.host],
            "cover_art_delivery": "bytes",  # what the tests that use it look at
        },
    }


@pytest.fixture(autouse=True)
def _fresh_upstream_and_cache(request: pytest.FixtureRequest) -> None:
    """Each test starts with emulators that counted nothing and an empty gateway cache."""
    for name in ("discogs", "musicbrainz", "coverart", "itunes_upstream"):
        if name in request.fixturenames:
            request.getfixturevalue(name).emulator.reset()
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
def gateway_url(
    discogs: RunningEmulator,
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    itunes_upstream: RunningITunes,
    spotify_upstream: str,
    tidal_upstream: str,
    gateway_cache: pathlib.Path,
) -> Iterator[str]:
    """A gateway in front of the session's emulators, validating its own answers."""
    settings = metabrainz_settings(musicbrainz, coverart)
    settings["images"]["require_key"] = True  # as shipped
    settings["upstreams"]["itunes"] = {"base_url": itunes_upstream.url, "rate_limit": 1_000_000}
    settings["images"]["allowed_hosts"].append(itunes_upstream.url.removeprefix("http://"))
    settings["upstreams"]["spotify"] = {
        "base_url": spotify_upstream,
        "accounts_url": f"{spotify_upstream}/api/token",
        "client_id": "sample-spotify-id",
        "client_secret": "sample-spotify-secret",
        "rate_limit": 1_000_000,
    }
    settings["upstreams"]["tidal"] = {
        "base_url": tidal_upstream,
        "accounts_url": f"{tidal_upstream}/v1/oauth2/token",
        "client_id": "sample-tidal-id",
        "client_secret": "sample-tidal-secret",
        "rate_limit": 1_000_000,
    }
    with gateway(
        discogs.url,
        cache={"path": str(gateway_cache)},
        server={"admin_token": ADMIN_TOKEN},
        **settings,
    ) as url:
        yield url
