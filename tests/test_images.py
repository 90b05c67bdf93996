"""Images through sleeve: fetched from the upstream once, then served from disk.

The emulator serves real, signed JPEGs with an image limit of its own and counts every
image fetch, so each test can tell a fetch from a stored answer.
"""

from __future__ import annotations

import asyncio
import io
import json
import pathlib
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.governance.clients import key_digest
from tests.servers import gateway

KEY = {"X-Sleeve-Key": "image-key"}
CLIENTS = {"keys": [{"name": "viewer", "sha256": key_digest("image-key")}]}


@pytest.fixture
def discogs_images() -> Iterator[tuple[DiscogsEmulator, str]]:
    emulator = DiscogsEmulator(
        rate_limit=1_000_000, anonymous_rate_limit=1_000_000, image_host="self"
    )
    with EmulatorThread(emulator) as url:
        yield emulator, url


@pytest.fixture
def sleeve(discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path) -> Iterator[str]:
    _, discogs_url = discogs_images
    images = {"path": str(tmp_path / "images"), "allowed_hosts": ["127.0.0.1"]}
    with gateway(discogs_url, images=images, clients=CLIENTS) as url:
        yield url


def get(url: str, **kwargs: object) -> httpx.Response:
    return httpx.get(url, headers={**KEY, **kwargs.pop("headers", {})}, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_first_request_fetches_once_later_ones_come_from_disk(
    sleeve: str, discogs_images: tuple[DiscogsEmulator, str]
) -> None:
    emulator, _ = discogs_images
    link = get(f"{sleeve}/releases/1").json()["images"][0]["uri"]
    assert link == f"{sleeve}/images/releases/1/0"
    first, second = get(link), get(link)
    assert emulator.image_calls == 1
    for answer in (first, second):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["etag"].startswith('"')
        assert int(answer.headers["content-length"]) == len(answer.content)
    assert first.content == second.content
    assert Image.open(io.BytesIO(first.content)).format == "JPEG"


def test_thumbnails_are_made_here_from_the_stored_image(
    sleeve: str, discogs_images: tuple[DiscogsEmulator, str]
) -> None:
    emulator, _ = discogs_images
    small = get(f"{sleeve}/images/releases/1/0?size=150")
    assert small.status_code == 200
    width, height = Image.open(io.BytesIO(small.content)).size
    assert max(width, height) <= 150
    get(f"{sleeve}/images/releases/1/0?size=250")
    assert emulator.image_calls == 1


async def test_concurrent_first_requests_fetch_once(
    sleeve: str, discogs_images: tuple[DiscogsEmulator, str]
) -> None:
    emulator, _ = discogs_images
    async with httpx.AsyncClient(headers=KEY, timeout=10) as client:
        answers = await asyncio.gather(
            *(client.get(f"{sleeve}/images/masters/1/0") for _ in range(20))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert emulator.image_calls == 1


def test_conditional_and_range_requests(sleeve: str) -> None:
    url = f"{sleeve}/images/artists/1/0"
    full = get(url)
    assert get(url, headers={"If-None-Match": full.headers["etag"]}).status_code == 304
    part = get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.content == full.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(full.content)}"


def test_a_client_key_is_required(sleeve: str) -> None:
    answer = httpx.get(f"{sleeve}/images/releases/1/0")
    assert answer.status_code == 401
    assert "key" in answer.json()["message"]


def test_no_such_image_is_a_404(sleeve: str) -> None:
    assert get(f"{sleeve}/images/releases/1/42").status_code == 404
    assert get(f"{sleeve}/images/releases/999999/0").status_code == 404


def test_the_daily_budget_is_never_exceeded(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    emulator, discogs_url = discogs_images
    images = {"path": str(tmp_path / "i"), "allowed_hosts": ["127.0.0.1"], "daily_budget": 2}
    with gateway(discogs_url, images=images, clients=CLIENTS) as url:
        stored = [get(f"{url}/images/releases/{i}/0") for i in (1, 2)]
        refused = get(f"{url}/images/releases/3/0")
        again = get(f"{url}/images/releases/1/0")
    assert [a.status_code for a in stored] == [200, 200]
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) > 0
    assert "budget" in refused.json()["message"]
    assert again.status_code == 200  # what is stored is still served
    assert emulator.image_calls == 2


def test_an_image_host_not_allowed_is_never_fetched(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    emulator, discogs_url = discogs_images
    images = {"path": str(tmp_path / "i"), "allowed_hosts": ["i.discogs.com"]}
    with gateway(discogs_url, images=images, clients=CLIENTS) as url:
        answer = get(f"{url}/images/releases/1/0")
    assert answer.status_code == 502
    message = answer.json()["message"]  # names the host and the setting to add it to
    assert "127.0.0.1:" in message and "images.allowed_hosts" in message, message
    assert emulator.image_calls == 0


def test_a_broken_upstream_image_is_refused_not_stored(
    sleeve: str, discogs_images: tuple[DiscogsEmulator, str]
) -> None:
    emulator, _ = discogs_images
    get(f"{sleeve}/releases/2")  # the metadata, before the image host breaks
    emulator.set_mode("garbage")
    assert get(f"{sleeve}/images/releases/2/0").status_code == 502
    emulator.set_mode("ok")
    assert get(f"{sleeve}/images/releases/2/0").status_code == 200


def test_stats_count_images_and_the_budget(sleeve: str) -> None:
    for _ in range(3):
        get(f"{sleeve}/images/releases/1/0")
    get(f"{sleeve}/images/releases/1/0?size=150")
    stats = httpx.get(f"{sleeve}/_sleeve/images/stats").json()
    assert stats["kinds"]["releases"] == {"miss": 1, "hit": 2, "thumbnail": 1}
    assert stats["stored"]["files"] == 2
    assert stats["budget"]["used"] == 1
    assert stats["budget"]["remaining"] == stats["budget"]["limit"] - 1
    (day,) = stats["days"].values()
    assert day["hit"] == 2
    page = httpx.get(f"{sleeve}/_sleeve/images/stats.html")
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="day"' in page.text and "2 files stored" in page.text  # one day: a point


@pytest.mark.slow
def test_the_budget_is_never_exceeded_across_two_processes(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    from tests.cache.redis_server import RedisServer
    from tests.servers import gateway_processes

    emulator, discogs_url = discogs_images
    settings = {
        "SLEEVE_IMAGES__ALLOWED_HOSTS": '["127.0.0.1"]',
        "SLEEVE_IMAGES__DAILY_BUDGET": "3",
        "SLEEVE_CLIENTS__KEYS": json.dumps(CLIENTS["keys"]),
    }
    redis = RedisServer().start()
    try:
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        with gateway_processes(discogs_url, redis.url, logs, **settings) as gateways:
            answers = [
                get(f"{gateways[i % 2]}/images/releases/{release}/0")
                for i, release in enumerate((1, 2, 3, 4, 6, 1001))
            ]
    finally:
        redis.kill()
    assert [a.status_code for a in answers] == [200, 200, 200, 503, 503, 503]
    assert emulator.image_calls == 3
