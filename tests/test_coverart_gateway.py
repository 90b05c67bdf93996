"""The Cover Art Archive through sleeve, end to end: a real gateway over real HTTP in front
of the CAA emulator (API and archive.org download host on one port), every assertion on
what the emulator counted.

Most tests share one gateway per module (its cache purged and its image store emptied
before each test); tests about settings (a closed archive, short lifetimes, an allow-list
without the emulator, redirect delivery) start their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import pathlib
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.metabrainz_data import (
    RELEASE_GROUP_ART_RELEASE_MBID,
    RELEASE_GROUP_WITH_ART_MBID,
    RELEASE_GROUP_WITHOUT_ART_MBID,
    RELEASE_WITH_ART_MBID,
    RELEASE_WITHOUT_ART_MBID,
    RELEASE_WITHOUT_FRONT_MBID,
)
from tests.conftest import RunningCoverArt
from tests.servers import CLOSED, gateway

ADMIN = "coverart-admin"
UNKNOWN_MBID = "00000000-0000-4000-8000-000000000000"
ALLOW = {"GET", "HEAD", "OPTIONS"}
IMMUTABLE = "public, max-age=31536000, immutable"
MBID = RELEASE_WITH_ART_MBID


# --- gateways ------------------------------------------------------------------------------


def caa_settings(coverart: RunningCoverArt, store: pathlib.Path, **extra: Any) -> dict:
    """Gateway settings in front of the emulator: one attempt per call (so counters are
    exact) and a breaker that never opens (outage tests must not leak into others)."""
    upstream = {
        "base_url": coverart.url,
        "rate_limit": 1_000_000,
        "attempts": 1,
        "breaker_failures": 1_000,
        "timeout": 3.0,
        "connect_timeout": 1.0,
    }
    settings: dict[str, Any] = {
        "upstreams": {"coverartarchive": upstream | extra.pop("upstream", {})},
        "images": {
            "path": str(store),
            "require_key": False,
            "allowed_hosts": [coverart.host],
            "cover_art_delivery": "bytes",  # what most tests here look at
        }
        | extra.pop("images", {}),
    }
    return settings | extra


@pytest.fixture(scope="module")
def module_images(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("coverart-images")


@pytest.fixture(scope="module")
def sleeve(coverart: RunningCoverArt, module_images: pathlib.Path) -> Iterator[str]:
    settings = caa_settings(coverart, module_images, server={"admin_token": ADMIN})
    with gateway(CLOSED, **settings) as url:
        yield url


@pytest.fixture(autouse=True)
def _empty_gateway(request: pytest.FixtureRequest) -> None:
    """Each test meets the module's gateway with nothing cached and no image kept."""
    if "sleeve" not in request.fixturenames:
        return
    url = request.getfixturevalue("sleeve")
    purged = httpx.post(
        f"{url}/_sleeve/cache/purge",
        json={"path": "/", "prefix": True},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert purged.status_code == 200, purged.text
    images: pathlib.Path = request.getfixturevalue("module_images")
    for child in images.iterdir():
        shutil.rmtree(child)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=10, **kwargs)


def jpeg_size(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        image.load()  # the whole image decodes
        return image.size


def kept_files(images: pathlib.Path) -> list[pathlib.Path]:
    return [path for path in images.rglob("*") if path.is_file()]


def images_of(coverart: RunningCoverArt, release: str) -> list[Any]:
    return coverart.emulator.catalogue.cover_art[release]


def image_id(coverart: RunningCoverArt, release: str, which: str) -> str:
    return next(image.id for image in images_of(coverart, release) if getattr(image, which))


def api_calls(coverart: RunningCoverArt) -> Counter[str]:
    return Counter(coverart.emulator.calls_by_path)


# --- the status table ----------------------------------------------------------------------


def test_listing_points_every_image_at_sleeve(sleeve: str, coverart: RunningCoverArt) -> None:
    answer = get(f"{sleeve}/release/{MBID}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    listing = answer.json()
    assert listing["release"] == f"https://musicbrainz.org/release/{MBID}"
    assert [image["id"] for image in listing["images"]] == [
        image.id for image in images_of(coverart, MBID)
    ]
    urls = [image["image"] for image in listing["images"]] + [
        url for image in listing["images"] for url in image["thumbnails"].values()
    ]
    assert len(urls) == 3 * 6
    for url in urls:
        assert url.startswith(f"{sleeve}/release/{MBID}/"), url
    assert coverart.emulator.calls == 1
    assert coverart.emulator.download_calls == 0

    thumbnail = get(listing["images"][1]["thumbnails"]["250"])  # the back, 1400x1240
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert jpeg_size(thumbnail.content) == (250, 221)
    again = get(f"{sleeve}/release/{MBID}")
    assert again.json() == listing
    assert coverart.emulator.calls == 2  # the listing once, the thumbnail's 307 once
    assert coverart.emulator.download_calls == 1


def test_listing_any_case_trailing_slash_and_head_share_one_fetch(
    sleeve: str, coverart: RunningCoverArt
) -> None:
    plain = get(f"{sleeve}/release/{MBID}")
    slash = get(f"{sleeve}/release/{MBID}/")
    upper = get(f"{sleeve}/release/{MBID.upper()}")
    head = httpx.head(f"{sleeve}/release/{MBID}/")
    for answer in (plain, slash, upper, head):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["etag"] == plain.headers["etag"]
        assert "max-age=" in answer.headers["cache-control"]
    assert slash.json() == upper.json() == plain.json()
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(plain.content)
    assert coverart.emulator.calls == 1


def test_release_group_listing(sleeve: str, coverart: RunningCoverArt) -> None:
    answer = get(f"{sleeve}/release-group/{RELEASE_GROUP_WITH_ART_MBID}")
    assert answer.status_code == 200
    listing = answer.json()
    release = RELEASE_GROUP_ART_RELEASE_MBID
    assert listing["release"] == f"https://musicbrainz.org/release/{release}"
    [front] = listing["images"]
    assert front["front"] is True
    assert front["image"] == f"{sleeve}/release/{release}/{front['id']}.jpg"
    assert coverart.emulator.calls == 1


@pytest.mark.parametrize(
    "path",
    [
        "/release/not-an-mbid",
        "/release/not-an-mbid/",
        "/release/not-an-mbid/front",
        "/release/12345678-1234-1234-1234-12345678901/front-250",  # one digit short
        "/release-group/not-an-mbid",
        "/release-group/not-an-mbid/front",
    ],
)
def test_an_unparseable_mbid_is_a_plain_text_400(
    sleeve: str, coverart: RunningCoverArt, path: str
) -> None:
    answer = get(f"{sleeve}{path}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert "mbid" in answer.text
    assert coverart.emulator.calls == 0


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        (f"/release/{UNKNOWN_MBID}", f"/release/{UNKNOWN_MBID}"),
        (f"/release/{UNKNOWN_MBID}/front", f"/release/{UNKNOWN_MBID}/front"),
        (f"/release/{RELEASE_WITHOUT_ART_MBID}", f"/release/{RELEASE_WITHOUT_ART_MBID}"),
        (f"/release/{RELEASE_WITHOUT_FRONT_MBID}/front", None),
        (f"/release/{RELEASE_WITHOUT_FRONT_MBID}/front-500.jpg", None),
        (f"/release/{RELEASE_WITHOUT_FRONT_MBID}/back", None),
        (f"/release/{MBID}/1234567", None),  # no such image id
        (
            f"/release-group/{RELEASE_GROUP_WITHOUT_ART_MBID}",
            f"/release-group/{RELEASE_GROUP_WITHOUT_ART_MBID}",
        ),
        (f"/release-group/{RELEASE_GROUP_WITHOUT_ART_MBID}/front", None),
        (f"/release-group/{UNKNOWN_MBID}/front-250", None),
    ],
)
def test_nothing_there_is_a_plain_text_404_asked_once(
    sleeve: str, coverart: RunningCoverArt, path: str, upstream: str | None
) -> None:
    answers = [get(f"{sleeve}{path}") for _ in range(3)]
    for answer in answers:
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text
    canonical = upstream or path.removesuffix(".jpg")
    assert api_calls(coverart) == {canonical: 1}  # the 404 is kept briefly
    assert coverart.emulator.download_calls == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "path",
    [
        f"/release/{MBID}",
        f"/release/{MBID}/",
        f"/release/{MBID}/front",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front-250",
    ],
)
def test_other_methods_are_405_with_allow(
    sleeve: str, coverart: RunningCoverArt, method: str, path: str
) -> None:
    answer = httpx.request(method, f"{sleeve}{path}", content=b"{}")
    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith("text/plain")
    allowed = {method.strip() for method in answer.headers["allow"].split(",")}
    assert {"GET", "HEAD"} <= allowed <= ALLOW
    assert coverart.emulator.calls == 0


def test_the_405_allow_names_options_too(sleeve: str) -> None:
    answer = httpx.post(f"{sleeve}/release/{MBID}/front")
    assert {method.strip() for method in answer.headers["allow"].split(",")} == ALLOW


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/html", 406),
        ("application/xml, text/html;q=0.9", 406),
        ("application/json;q=0", 406),
        ("application/json; Q=0, text/plain", 406),
        ("*/*", 200),
        ("application/json;q=0.5, text/html", 200),
        ("application/*", 200),
    ],
)
def test_a_listing_is_only_json(
    sleeve: str, coverart: RunningCoverArt, accept: str, status: int
) -> None:
    for path in (f"/release/{MBID}", f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/"):
        answer = get(f"{sleeve}{path}", headers={"Accept": accept})
        assert answer.status_code == status, (path, answer.text)
        if status == 406:
            assert answer.headers["content-type"].startswith("text/plain")
            assert "application/json" in answer.text
        else:
            assert answer.json()["images"]
    assert coverart.emulator.calls == (0 if status == 406 else 2)


@pytest.mark.parametrize(
    "path",
    [
        f"/release/{MBID}",
        f"/release/{MBID}/",
        f"/release/{MBID}/front",
        f"/release/{MBID}/back-250.jpg",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front",
    ],
)
def test_options_names_the_methods_without_asking_upstream(
    sleeve: str, coverart: RunningCoverArt, path: str
) -> None:
    answer = httpx.options(f"{sleeve}{path}")
    assert answer.status_code == 200
    assert {method.strip() for method in answer.headers["allow"].split(",")} == ALLOW
    assert answer.content == b""
    assert coverart.emulator.calls == 0


def test_head_of_an_image_has_the_headers_and_no_body(
    sleeve: str, coverart: RunningCoverArt
) -> None:
    head = httpx.head(f"{sleeve}/release/{MBID}/front-500")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "image/jpeg"
    body = get(f"{sleeve}/release/{MBID}/front-500")
    assert int(head.headers["content-length"]) == len(body.content)
    assert head.headers["etag"] == body.headers["etag"]
    assert coverart.emulator.calls == 1
    assert coverart.emulator.download_calls == 1


@pytest.mark.parametrize("mode", ["drop", "error"])
@pytest.mark.parametrize(
    "path",
    [
        f"/release/{MBID}",
        f"/release/{MBID}/front",
        f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front-250",
    ],
)
def test_an_archive_down_with_nothing_kept_is_503_with_retry_after(
    sleeve: str, coverart: RunningCoverArt, mode: str, path: str
) -> None:
    coverart.emulator.set_mode(mode)
    answer = get(f"{sleeve}{path}")
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert answer.headers["content-type"].startswith("text/plain")
    # One attempt, as configured (aiohttp itself retries a dropped pooled connection once).
    assert coverart.emulator.calls in ({1} if mode == "error" else {1, 2})


@pytest.mark.parametrize("mode", ["drop", "error"])
def test_a_download_host_down_with_nothing_kept_is_503(
    sleeve: str, coverart: RunningCoverArt, module_images: pathlib.Path, mode: str
) -> None:
    assert get(f"{sleeve}/release/{MBID}/back").status_code == 200
    for child in module_images.iterdir():  # the way is kept (cached 307), the bytes are not
        shutil.rmtree(child)
    coverart.emulator.set_mode(mode)
    answer = get(f"{sleeve}/release/{MBID}/back")
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) > 0
    assert answer.headers["content-type"].startswith("text/plain")
    assert coverart.emulator.calls == 1  # the 307 came from the cache
    assert coverart.emulator.download_calls >= 2
    coverart.emulator.reset()
    assert get(f"{sleeve}/release/{MBID}/back").status_code == 200
    assert (coverart.emulator.calls, coverart.emulator.download_calls) == (0, 1)


def test_a_closed_archive_is_503_with_retry_after(
    coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    settings = caa_settings(coverart, tmp_path / "images", upstream={"base_url": CLOSED})
    with gateway(CLOSED, **settings) as url:
        for path in (
            f"/release/{MBID}",
            f"/release/{MBID}/",
            f"/release/{MBID}/front-250",
            f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front",
        ):
            answer = get(f"{url}{path}")
            assert answer.status_code == 503, (path, answer.text)
            assert int(answer.headers["retry-after"]) > 0
            assert answer.headers["content-type"].startswith("text/plain")
        # Default retries and breaker: still a quick 503, never a hang or a 5xx of another kind.
        shipped = caa_settings(coverart, tmp_path / "shipped", upstream={"base_url": CLOSED})
        del shipped["upstreams"]["coverartarchive"]["attempts"]
        del shipped["upstreams"]["coverartarchive"]["breaker_failures"]
    with gateway(CLOSED, **shipped) as url:
        started = time.monotonic()
        statuses = {get(f"{url}/release/{MBID}/front").status_code for _ in range(8)}
        assert statuses == {503}
        assert time.monotonic() - started < 15
    assert coverart.emulator.calls == 0


# --- images --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "which", "size"),
    [
        ("front", "front", None),
        ("front.jpg", "front", None),
        ("back", "back", None),
        ("front-250", "front", 250),
        ("back-500.jpg", "back", 500),
        ("front-1200", "front", 1200),
        ("{id}", "front", None),
        ("{id}.jpg", "front", None),
        ("{id}-250.jpg", "front", 250),
        ("{booklet}-500", "booklet", 500),
    ],
)
def test_an_image_is_fetched_once_then_served_from_the_store(
    sleeve: str, coverart: RunningCoverArt, image: str, which: str, size: int | None
) -> None:
    front, back, booklet = images_of(coverart, MBID)
    chosen = {"front": front, "back": back, "booklet": booklet}[which]
    name = image.format(id=front.id, booklet=booklet.id)
    url = f"{sleeve}/release/{MBID}/{name}"
    answers = [get(url) for _ in range(3)]
    assert coverart.emulator.calls == 1
    assert coverart.emulator.download_calls == 1
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/jpeg"
        assert int(answer.headers["content-length"]) == len(answer.content)
        assert answer.headers["etag"] == f'"{hashlib.sha256(answer.content).hexdigest()}"'
        assert answer.content == answers[0].content
    width, height = jpeg_size(answers[0].content)
    if size is None:
        assert (width, height) == (chosen.width, chosen.height)
    else:
        assert max(width, height) == min(size, max(chosen.width, chosen.height))
        assert abs(width / height - chosen.width / chosen.height) < 0.01
    if name[0].isdigit():
        assert answers[0].headers["cache-control"] == IMMUTABLE
    else:
        max_age = answers[0].headers["cache-control"].removeprefix("public, max-age=")
        assert 0 < int(max_age) <= 3600


def test_front_and_its_id_are_one_download(sleeve: str, coverart: RunningCoverArt) -> None:
    front_id = image_id(coverart, MBID, "front")
    by_name = get(f"{sleeve}/release/{MBID}/front-250")
    by_id = get(f"{sleeve}/release/{MBID}/{front_id}-250.jpg")
    assert by_name.content == by_id.content
    assert coverart.emulator.calls == 2  # two names, each located once
    assert coverart.emulator.download_calls == 1  # one file at archive.org


def test_conditional_and_range_requests(sleeve: str, coverart: RunningCoverArt) -> None:
    url = f"{sleeve}/release/{MBID}/{image_id(coverart, MBID, 'back')}"
    whole = get(url)
    etag = whole.headers["etag"]
    not_modified = get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    part = get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.content == whole.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    tail = get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.content == whole.content[-10:]
    beyond = get(url, headers={"Range": f"bytes={len(whole.content) + 10}-"})
    assert beyond.status_code == 416
    assert coverart.emulator.calls == 1
    assert coverart.emulator.download_calls == 1


async def test_concurrent_first_requests_download_once(
    sleeve: str, coverart: RunningCoverArt
) -> None:
    url = f"{sleeve}/release/{MBID}/front-1200"
    async with httpx.AsyncClient(timeout=20) as client:
        answers = await asyncio.gather(*(client.get(url) for _ in range(10)))
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert coverart.emulator.calls == 1
    assert coverart.emulator.download_calls == 1


async def test_concurrent_requests_for_a_listing_ask_once(
    sleeve: str, coverart: RunningCoverArt
) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        answers = await asyncio.gather(*(client.get(f"{sleeve}/release/{MBID}") for _ in range(10)))
    assert {answer.status_code for answer in answers} == {200}
    assert coverart.emulator.calls == 1


def test_release_group_front(sleeve: str, coverart: RunningCoverArt) -> None:
    group = RELEASE_GROUP_WITH_ART_MBID
    front = get(f"{sleeve}/release-group/{group}/front")
    assert front.status_code == 200
    assert jpeg_size(front.content) == (1400, 1400)
    small = get(f"{sleeve}/release-group/{group.upper()}/front-250.jpg")
    assert small.status_code == 200
    assert jpeg_size(small.content) == (250, 250)
    assert "max-age=" in front.headers["cache-control"]
    assert front.headers["cache-control"] != IMMUTABLE
    # The release the group's art comes from: the same file, already kept.
    same = get(f"{sleeve}/release/{RELEASE_GROUP_ART_RELEASE_MBID}/front")
    assert same.content == front.content
    assert coverart.emulator.download_calls == 2
    assert api_calls(coverart) == {
        f"/release-group/{group}/front": 1,
        f"/release-group/{group}/front-250": 1,
        f"/release/{RELEASE_GROUP_ART_RELEASE_MBID}/front": 1,
    }
    assert get(f"{sleeve}/release-group/{group}/back").status_code == 400  # fronts only


# --- outages -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["drop", "error"])
def test_what_was_fetched_is_served_while_the_archive_is_down(
    sleeve: str, coverart: RunningCoverArt, mode: str
) -> None:
    listing = get(f"{sleeve}/release/{MBID}")
    image = get(f"{sleeve}/release/{MBID}/front-250")
    coverart.emulator.set_mode(mode)
    before = coverart.emulator.calls + coverart.emulator.download_calls
    for _ in range(2):
        assert get(f"{sleeve}/release/{MBID}").json() == listing.json()
        again = get(f"{sleeve}/release/{MBID}/front-250")
        assert again.status_code == 200
        assert again.content == image.content
    assert coverart.emulator.calls + coverart.emulator.download_calls == before


def test_stale_answers_and_kept_bytes_outlive_an_outage(
    coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    """Lifetimes of a second: past them the archive is asked again, and when it cannot
    answer, the stored listing and the way to the kept bytes are served instead."""
    ttls = {"coverartarchive": {"listing": 1, "image": 1}}
    cache = {"ttls": ttls, "negative_ttl": 1, "stale_while_revalidate": 0}
    with gateway(CLOSED, cache=cache, **caa_settings(coverart, tmp_path / "images")) as url:
        listing = get(f"{url}/release/{MBID}")
        front = get(f"{url}/release/{MBID}/front")
        missing = get(f"{url}/release/{RELEASE_WITHOUT_FRONT_MBID}/front")
        assert (listing.status_code, front.status_code, missing.status_code) == (200, 200, 404)
        assert get(f"{url}/release/{RELEASE_WITHOUT_FRONT_MBID}/front").status_code == 404
        assert coverart.emulator.calls == 3  # the 404 was kept
        time.sleep(1.2)
        for mode in ("error", "drop"):
            coverart.emulator.set_mode(mode)
            calls = coverart.emulator.calls
            stale = get(f"{url}/release/{MBID}")
            assert stale.status_code == 200
            assert stale.json() == listing.json()
            assert 'detail="stale-if-error"' in stale.headers["cache-status"]
            kept = get(f"{url}/release/{MBID}/front")
            assert kept.status_code == 200
            assert kept.content == front.content
            assert kept.headers["cache-control"] == "public, max-age=0"
            assert coverart.emulator.calls >= calls + 2  # asked again (each), and failed
        assert coverart.emulator.download_calls == 1  # the bytes were never asked for again
        coverart.emulator.set_mode("ok")
        assert get(f"{url}/release/{RELEASE_WITHOUT_FRONT_MBID}/front").status_code == 404
        assert coverart.emulator.calls_by_path[f"/release/{RELEASE_WITHOUT_FRONT_MBID}/front"] == 2


# --- safety --------------------------------------------------------------------------------


def test_a_redirect_to_a_host_not_allowed_is_refused_and_nothing_kept(
    coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    images = tmp_path / "images"
    settings = caa_settings(coverart, images, images={"allowed_hosts": ["archive.org"]})
    with gateway(CLOSED, **settings) as url:
        assert get(f"{url}/release/{MBID}").status_code == 200  # listings are not images
        for _ in range(2):
            answer = get(f"{url}/release/{MBID}/front")
            assert answer.status_code == 502
            assert answer.headers["content-type"].startswith("text/plain")
    assert coverart.emulator.download_calls == 0
    assert kept_files(images) == []


class Mirror:
    """A stand-in archive whose download host misbehaves as a test says: each image name
    maps to a chain of answers (redirects, then bytes)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.downloads: Counter[str] = Counter()

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/release/{mbid}", self._listing)
        app.router.add_get("/release/{mbid}/{name}", self._image)
        app.router.add_get("/files/{name}", self._file)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        runner = web.AppRunner(self.make_app(), handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            yield f"http://{host}:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()

    async def _listing(self, request: web.Request) -> web.Response:
        """As the archive does: a 307 to the item's ``index.json`` at archive.org."""
        target = self.redirects.get("listing", "/files/index.json")
        return web.Response(status=307, headers={"Location": target})

    async def _image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        target = self.redirects.get(name, f"/files/{name}")
        return web.Response(status=307, headers={"Location": target})

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.downloads[name] += 1
        if name in self.redirects:
            return web.Response(status=302, headers={"Location": self.redirects[name]})
        if name not in self.bodies:
            return web.Response(status=404, text="Not Found")
        kind = "application/json" if name.endswith(".json") else "image/jpeg"
        return web.Response(body=self.bodies[name], content_type=kind)


ARCHIVED = f"http://coverartarchive.org/release/{MBID}/829521842"
INDEX = {  # an index.json as archive.org keeps it: URLs on coverartarchive.org
    "images": [
        {
            "id": 829521842,
            "image": f"{ARCHIVED}.jpg",
            "thumbnails": {"250": f"{ARCHIVED}-250.jpg", "large": f"{ARCHIVED}-500.jpg"},
            "front": True,
            "back": False,
            "types": ["Front"],
            "edit": 17462565,
            "approved": True,
            "comment": "",
        }
    ],
    "release": f"https://musicbrainz.org/release/{MBID}",
}


@pytest.fixture
def mirror(coverart: RunningCoverArt) -> Iterator[tuple[Mirror, str]]:
    mirror = Mirror()
    real = get(f"{coverart.url}/release/{MBID}/front", follow_redirects=True).content
    mirror.bodies = {
        "front": real,
        "back": b"<html><body>Item not available</body></html>",
        "front-250": real[: len(real) // 2],  # a JPEG cut off mid-scan
        "front-500": b"\xff\xd8\xff\xe0" + b"\0" * 64,  # JPEG magic, then nothing
        "index.json": json.dumps(INDEX).encode(),
    }
    with EmulatorThread(mirror) as url:
        yield mirror, url


def test_what_is_not_a_whole_image_is_refused_and_never_kept(
    mirror: tuple[Mirror, str], tmp_path: pathlib.Path
) -> None:
    server, mirror_url = mirror
    images = tmp_path / "images"
    host = mirror_url.removeprefix("http://")
    settings = {
        "upstreams": {
            "coverartarchive": {"base_url": mirror_url, "rate_limit": 1_000_000, "attempts": 1}
        },
        "images": {
            "path": str(images),
            "require_key": False,
            "allowed_hosts": [host],
            "cover_art_delivery": "bytes",
        },
    }
    with gateway(CLOSED, **settings) as url:
        for image in ("back", "front-250", "front-500"):  # HTML, cut off, magic only
            for _ in range(2):
                answer = get(f"{url}/release/{MBID}/{image}")
                assert answer.status_code == 502, answer.text
                assert answer.headers["content-type"].startswith("text/plain")
            assert server.downloads[image] == 2  # refused, so asked for again: never kept
        assert kept_files(images) == []
        good = get(f"{url}/release/{MBID}/front")
        assert good.status_code == 200
        assert jpeg_size(good.content) == (1400, 1400)
        assert len([path for path in kept_files(images) if "blobs" in path.parts]) == 1


def test_redirects_are_followed_on_allowed_hosts_only(
    mirror: tuple[Mirror, str], tmp_path: pathlib.Path
) -> None:
    """The allow-list names 127.0.0.1:PORT; the refused hops go to localhost:PORT, the same
    server under a name the list does not have, so a fetch there would be counted."""
    server, mirror_url = mirror
    elsewhere = mirror_url.replace("127.0.0.1", "localhost")
    server.redirects["back"] = "/files/moved"  # allowed, and it moves on:
    server.redirects["moved"] = f"{elsewhere}/files/front"  # … to a host not allowed
    server.redirects["front-1200"] = f"{elsewhere}/files/front"  # not allowed at once
    images = tmp_path / "images"
    settings = {
        "upstreams": {"coverartarchive": {"base_url": mirror_url, "rate_limit": 1_000_000}},
        "images": {
            "path": str(images),
            "require_key": False,
            "allowed_hosts": [mirror_url.removeprefix("http://")],
        },
    }
    with gateway(CLOSED, **settings) as url:
        # The archive's listing is a 307 to index.json at archive.org, URLs on its own host.
        answer = get(f"{url}/release/{MBID}")
        assert answer.status_code == 200, answer.text
        [image] = answer.json()["images"]
        local = f"{url}/release/{MBID}/829521842"
        assert image["image"] == f"{local}.jpg"
        assert image["thumbnails"] == {"250": f"{local}-250.jpg", "large": f"{local}-500.jpg"}
        assert answer.json()["release"] == INDEX["release"]
        assert server.downloads["index.json"] == 1

        server.redirects["listing"] = f"{elsewhere}/files/index.json"
        refused = get(f"{url}/release/{RELEASE_WITHOUT_ART_MBID}")
        assert (refused.status_code, refused.headers["content-type"][:10]) == (502, "text/plain")

        for path in ("back", "front-1200"):
            refused = get(f"{url}/release/{MBID}/{path}")
            assert refused.status_code == 502, path
        assert server.downloads == {"index.json": 1, "moved": 1}
        assert kept_files(images) == []


# --- redirect delivery ---------------------------------------------------------------------


def test_redirect_delivery_points_at_the_kept_blob(
    coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    public = "https://sleeve.example"  # behind a proxy: clients are sent there
    settings = caa_settings(
        coverart,
        tmp_path / "images",
        images={"cover_art_delivery": "redirect"},
        server={"public_url": f"{public}/"},
    )
    with gateway(CLOSED, **settings) as url:
        first = get(f"{url}/release/{MBID}/front-500")
        assert first.status_code == 307
        assert first.content == b""
        digest = first.headers["etag"].strip('"')
        assert first.headers["location"] == f"{public}/_sleeve/blobs/{digest}"
        assert "max-age=" in first.headers["cache-control"]
        by_id = get(f"{url}/release/{MBID}/{image_id(coverart, MBID, 'front')}-500")
        assert by_id.status_code == 307
        assert by_id.headers["location"] == first.headers["location"]
        assert by_id.headers["cache-control"] == IMMUTABLE
        assert get(f"{url}/release/{MBID}/front-500").headers["etag"] == f'"{digest}"'
        assert coverart.emulator.calls == 2
        assert coverart.emulator.download_calls == 1

        kept = f"{url}/_sleeve/blobs/{digest}"  # where the proxy would pass it on
        blob = get(kept)
        assert blob.status_code == 200
        assert blob.headers["content-type"] == "image/jpeg"
        assert blob.headers["cache-control"] == IMMUTABLE
        assert hashlib.sha256(blob.content).hexdigest() == digest
        assert jpeg_size(blob.content) == (500, 500)
        part = get(kept, headers={"Range": "bytes=0-9"})
        assert (part.status_code, part.content) == (206, blob.content[:10])
        assert get(kept, headers={"If-None-Match": f'"{digest}"'}).status_code == 304
        head = httpx.head(kept)
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(blob.content))
        assert (coverart.emulator.calls, coverart.emulator.download_calls) == (2, 1)

        unknown = get(f"{url}/_sleeve/blobs/{'0' * 64}")
        assert unknown.status_code == 404
        assert unknown.json()["message"]
        for malformed in ("xyz", "A" * 64, "0" * 63, "0" * 65):
            answer = get(f"{url}/_sleeve/blobs/{malformed}")
            assert answer.status_code == 400, malformed
            assert "digest" in answer.json()["message"]
        missing = get(f"{url}/release/{RELEASE_WITHOUT_FRONT_MBID}/front")
        assert missing.status_code == 404


def test_by_default_an_image_is_a_307_to_the_kept_copy_as_the_archive_answers(
    coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    """A client that follows the archive's protocol reads the redirect: only the host
    changes (issue 11, item 16). The copy it is sent to never changes."""
    settings = caa_settings(coverart, tmp_path / "images")
    del settings["images"]["cover_art_delivery"]  # as shipped
    with gateway(CLOSED, **settings) as url:
        redirect = get(f"{url}/release/{MBID}/front-250")
        assert redirect.status_code == 307 and redirect.content == b""
        digest = redirect.headers["etag"].strip('"')
        assert redirect.headers["location"] == f"{url}/_sleeve/blobs/{digest}"
        followed = httpx.get(f"{url}/release/{MBID}/front-250", follow_redirects=True)
        assert followed.status_code == 200
        assert followed.headers["cache-control"] == IMMUTABLE
        assert hashlib.sha256(followed.content).hexdigest() == digest
        assert coverart.emulator.download_calls == 1
