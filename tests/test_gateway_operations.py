"""sleeve's own operations: health, cache statistics, purges (HTTP and command line)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.servers import gateway

ADMIN = {"Authorization": "Bearer admin-secret"}


@pytest.fixture
def admin_gateway(discogs: RunningEmulator, tmp_path: pathlib.Path) -> Iterator[str]:
    with gateway(
        discogs.url,
        server={"admin_token": "admin-secret"},
        cache={"path": str(tmp_path / "cache.db")},
    ) as url:
        yield url


def test_health_reports_the_cache(gateway_url: str) -> None:
    health = httpx.get(f"{gateway_url}/_sleeve/health").json()
    assert health["status"] == "ok"
    cache = health["cache"]
    assert (cache["backend"], cache["healthy"]) == ("sqlite", True)
    assert set(cache["remembered"]) == {"entries", "bytes"}


def test_stats_count_outcomes_per_upstream_and_kind(admin_gateway: str) -> None:
    for _ in range(3):
        httpx.get(f"{admin_gateway}/artists/1")
    httpx.get(f"{admin_gateway}/database/search?q=x")
    stats = httpx.get(f"{admin_gateway}/_sleeve/cache/stats").json()["upstreams"]["discogs"]
    assert stats["artist"] == {"miss": 1, "hit": 2}
    assert stats["search"] == {"miss": 1}


def test_purging_one_resource_refetches_it_only(
    admin_gateway: str, discogs: RunningEmulator
) -> None:
    for path in ("/artists/1", "/artists/1?x=1", "/artists/10", "/artists/1/releases"):
        httpx.get(admin_gateway + path)
    calls = discogs.emulator.calls
    purged = httpx.post(
        f"{admin_gateway}/_sleeve/cache/purge", json={"path": "/artists/1"}, headers=ADMIN
    )
    assert purged.status_code == 200
    assert purged.json() == {"purged": 1}
    httpx.get(f"{admin_gateway}/artists/1")
    httpx.get(f"{admin_gateway}/artists/1/releases")
    assert discogs.emulator.calls == calls + 1


def test_purging_a_prefix(admin_gateway: str) -> None:
    for path in ("/artists/1", "/artists/2", "/artists/1/releases", "/labels/1"):
        httpx.get(admin_gateway + path)
    purged = httpx.post(
        f"{admin_gateway}/_sleeve/cache/purge",
        json={"path": "/artists/", "prefix": True},
        headers=ADMIN,
    )
    assert purged.json() == {"purged": 3}


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": "Basic x"}, 401)],
)
def test_purge_needs_the_admin_token(admin_gateway: str, headers: dict, status: int) -> None:
    response = httpx.post(
        f"{admin_gateway}/_sleeve/cache/purge", json={"path": "/artists/1"}, headers=headers
    )
    assert response.status_code == status
    assert "admin-secret" not in response.text


def test_purge_is_disabled_without_an_admin_token(
    discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    with gateway(discogs.url, cache={"path": str(tmp_path / "cache.db")}) as url:
        response = httpx.post(f"{url}/_sleeve/cache/purge", json={"path": "/a"}, headers=ADMIN)
    assert response.status_code == 403
    assert "admin_token" in response.json()["message"]


def test_purge_validates_its_body(admin_gateway: str) -> None:
    response = httpx.post(
        f"{admin_gateway}/_sleeve/cache/purge", json={"path": "artists"}, headers=ADMIN
    )
    assert response.status_code == 400
    assert "path" in response.json()["message"]


@pytest.mark.slow
def test_sleeve_cache_purge_on_the_command_line(
    discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    cache = {"path": str(tmp_path / "cache.db"), "local_max_age": 0.3}
    with gateway(discogs.url, cache=cache) as url:
        httpx.get(f"{url}/releases/1")
        assert httpx.get(f"{url}/releases/1").headers["cache-status"].startswith("sleeve; hit")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
        environment["SLEEVE_CACHE__PATH"] = cache["path"]
        result = subprocess.run(
            [sys.executable, "-m", "sleeve", "cache", "purge", "/releases/1"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "purged 1" in result.stdout
        time.sleep(0.4)  # another process' purge shows once its memory has aged out
        again = httpx.get(f"{url}/releases/1")
    assert again.headers["cache-status"].startswith("sleeve; fwd=miss")
    assert discogs.emulator.calls == 2


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [(b"\xff\x87", "application/json", 400), (b"path=/a", "text/plain", 415)],
)
def test_purge_refuses_bodies_it_cannot_read(
    admin_gateway: str, content: bytes, content_type: str, status: int
) -> None:
    response = httpx.post(
        f"{admin_gateway}/_sleeve/cache/purge",
        content=content,
        headers={**ADMIN, "Content-Type": content_type},
    )
    assert response.status_code == status
    assert "message" in response.json()
