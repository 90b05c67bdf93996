"""Checks of the Cover Art Archive emulator itself, over real HTTP: listings, 307s to the
download host, real JPEG bytes at the right sizes, status codes as documented, counters,
modes, and musicbrainzngs' CAA helpers (which follow the redirects with urllib)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from PIL import Image

from sleeve.emulators.coverart import CoverArtEmulator, accepts_json, thumbnail_size
from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.metabrainz_data import (
    RELEASE_GROUP_ART_RELEASE_MBID,
    RELEASE_GROUP_WITH_ART_MBID,
    RELEASE_GROUP_WITHOUT_ART_MBID,
    RELEASE_WITH_ART_MBID,
    RELEASE_WITHOUT_ART_MBID,
    RELEASE_WITHOUT_FRONT_MBID,
    build_catalogue,
)
from sleeve.emulators.musicbrainz_docs import DocumentBuilder
from tests.client_libraries import optional, require

musicbrainzngs = optional("musicbrainzngs")  # the tests that use it require it

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
async def caa() -> AsyncIterator[tuple[CoverArtEmulator, httpx.AsyncClient, str]]:
    emulator = CoverArtEmulator()
    async with emulator.serve() as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield emulator, client, base_url


Served = tuple[CoverArtEmulator, httpx.AsyncClient, str]


def jpeg_size(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        return image.size


async def test_release_listing(caa: Served):
    _, client, base_url = caa
    response = await client.get(f"/release/{RELEASE_WITH_ART_MBID}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    listing = response.json()
    assert listing["release"] == f"https://musicbrainz.org/release/{RELEASE_WITH_ART_MBID}"
    front, back, booklet = listing["images"]
    assert (front["front"], front["back"], front["types"]) == (True, False, ["Front"])
    assert (back["front"], back["back"], back["types"]) == (False, True, ["Back"])
    assert booklet["types"] == ["Booklet"] and booklet["comment"] == "inner pages"
    prefix = f"{base_url}/release/{RELEASE_WITH_ART_MBID}/{front['id']}"
    assert front["image"] == prefix + ".jpg"
    assert front["thumbnails"] == {
        "250": prefix + "-250.jpg",
        "500": prefix + "-500.jpg",
        "1200": prefix + "-1200.jpg",
        "small": prefix + "-250.jpg",
        "large": prefix + "-500.jpg",
    }
    assert isinstance(front["edit"], int) and front["approved"] is True
    assert (await client.get(f"/release/{RELEASE_WITH_ART_MBID}/")).json() == listing


async def test_listing_matches_musicbrainz_cover_art_block(caa: Served):
    _, client, _ = caa
    docs = DocumentBuilder(build_catalogue())
    for release in (RELEASE_WITH_ART_MBID, RELEASE_WITHOUT_FRONT_MBID):
        block = docs.bare("release", release)["cover-art-archive"]
        images = (await client.get(f"/release/{release}")).json()["images"]
        assert block["count"] == len(images)
        assert block["front"] == any(i["front"] for i in images)
        assert block["back"] == any(i["back"] for i in images)


async def test_redirects_and_downloads(caa: Served):
    emulator, client, base_url = caa
    listing = (await client.get(f"/release/{RELEASE_WITH_ART_MBID}")).json()
    front_id, back_id = listing["images"][0]["id"], listing["images"][1]["id"]
    item = f"mbid-{RELEASE_WITH_ART_MBID}"
    download = f"{base_url}/download/{item}/{item}-"
    cases = {
        "front": f"{download}{front_id}.jpg",
        "front.jpg": f"{download}{front_id}.jpg",
        "front-250": f"{download}{front_id}_thumb250.jpg",
        "back-500.jpg": f"{download}{back_id}_thumb500.jpg",
        f"{back_id}-1200.jpg": f"{download}{back_id}_thumb1200.jpg",
        f"{front_id}.jpg": f"{download}{front_id}.jpg",
    }
    for name, location in cases.items():
        response = await client.get(f"/release/{RELEASE_WITH_ART_MBID}/{name}")
        assert (response.status_code, response.headers["Location"]) == (307, location), name
    sizes = {
        f"{download}{front_id}.jpg": (1400, 1400),
        f"{download}{front_id}_thumb250.jpg": (250, 250),
        f"{download}{back_id}_thumb500.jpg": (500, 443),
        f"{download}{back_id}_thumb1200.jpg": (1200, 1063),
    }
    for url, size in sizes.items():
        response = await client.get(url)
        assert response.headers["Content-Type"] == "image/jpeg"
        assert jpeg_size(response.content) == size
        assert (await client.get(url)).content == response.content  # deterministic
    assert emulator.download_calls == 8 and emulator.calls == 7
    assert emulator.download_calls_by_path[f"/download/{item}/{item}-{front_id}.jpg"] == 2
    assert not any(p.startswith("/download/") for p in emulator.calls_by_path)


async def test_release_group_art_comes_from_the_chosen_release(caa: Served):
    _, client, base_url = caa
    listing = (await client.get(f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/")).json()
    assert listing["release"].endswith(RELEASE_GROUP_ART_RELEASE_MBID)
    assert [i["types"] for i in listing["images"]] == [["Front"]]
    response = await client.get(f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front-250")
    assert response.status_code == 307
    assert f"/download/mbid-{RELEASE_GROUP_ART_RELEASE_MBID}/" in response.headers["Location"]
    followed = await client.get(response.headers["Location"])
    assert jpeg_size(followed.content) == (250, 250)
    assert base_url in response.headers["Location"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/release/not-a-uuid", 400),
        ("GET", "/release/not-a-uuid/front", 400),
        ("GET", f"/release/{UNKNOWN}", 404),
        ("GET", f"/release/{RELEASE_WITHOUT_ART_MBID}", 404),
        ("GET", f"/release/{RELEASE_WITHOUT_ART_MBID}/front", 404),
        ("GET", f"/release/{RELEASE_WITHOUT_FRONT_MBID}", 200),
        ("GET", f"/release/{RELEASE_WITHOUT_FRONT_MBID}/front", 404),
        ("GET", f"/release/{RELEASE_WITHOUT_FRONT_MBID}/back-250", 404),
        ("GET", f"/release/{RELEASE_WITH_ART_MBID}/12345.jpg", 404),
        ("GET", f"/release-group/{RELEASE_GROUP_WITHOUT_ART_MBID}", 404),
        ("GET", f"/release-group/{RELEASE_GROUP_WITHOUT_ART_MBID}/front", 404),
        ("GET", f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/back", 404),
        ("GET", f"/download/mbid-{RELEASE_WITH_ART_MBID}/mbid-{UNKNOWN}-1.jpg", 404),
        ("POST", f"/release/{RELEASE_WITH_ART_MBID}", 405),
        ("PUT", f"/release/{RELEASE_WITH_ART_MBID}/front", 405),
        ("DELETE", f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}", 405),
        ("OPTIONS", f"/release/{RELEASE_WITH_ART_MBID}", 405),
        ("HEAD", f"/release/{RELEASE_WITH_ART_MBID}", 200),
        ("HEAD", f"/release/{RELEASE_WITH_ART_MBID}/front", 307),
    ],
)
async def test_status_codes(caa: Served, method: str, path: str, status: int):
    _, client, _ = caa
    response = await client.request(method, path)
    assert response.status_code == status
    if status == 405:
        assert response.headers["Allow"] == "GET, HEAD"
    if method == "HEAD":
        assert response.content == b""


async def test_listing_needs_an_acceptable_type(caa: Served):
    _, client, _ = caa
    path = f"/release/{RELEASE_WITH_ART_MBID}"
    assert (await client.get(path, headers={"Accept": "text/html"})).status_code == 406
    for accept in ("application/json", "text/html, */*;q=0.1", "application/*"):
        assert (await client.get(path, headers={"Accept": accept})).status_code == 200
    assert not accepts_json("application/json;q=0, text/html")
    assert thumbnail_size(300, 1400, "250") == (54, 250)
    assert thumbnail_size(300, 200, "1200") == (300, 200)  # never enlarged


async def test_rate_limit_modes_and_reset():
    emulator = CoverArtEmulator(rate_limit=1, window_seconds=60)
    async with emulator.serve() as base_url, httpx.AsyncClient(base_url=base_url) as client:
        path = f"/release/{RELEASE_WITH_ART_MBID}"
        assert (await client.get(path)).status_code == 200
        assert (await client.get(path)).status_code == 503
        emulator.reset()
        emulator.set_mode("error", times=1)
        assert (await client.get(path)).status_code == 503
        assert (await client.get(path)).status_code == 200
        emulator.reset()
        emulator.set_mode("error", times=1, status=502)
        assert (await client.get(path)).status_code == 502
        emulator.set_mode("drop", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(path)
        assert emulator.calls == 2 and emulator.mode == "ok"


# --- musicbrainzngs' CAA helpers -------------------------------------------------------------


@pytest.fixture(scope="module")
def ngs_caa() -> Iterator[CoverArtEmulator]:
    require("musicbrainzngs")
    emulator = CoverArtEmulator()
    with EmulatorThread(emulator) as base_url:
        musicbrainzngs.set_useragent("SleeveEmulatorTests", "1.0", "https://sleeve.test")
        musicbrainzngs.set_caa_hostname(base_url.removeprefix("http://"), use_https=False)
        yield emulator


def test_musicbrainzngs_caa(ngs_caa: CoverArtEmulator):
    listing = musicbrainzngs.get_image_list(RELEASE_WITH_ART_MBID)
    assert [i["types"] for i in listing["images"]] == [["Front"], ["Back"], ["Booklet"]]
    front = musicbrainzngs.get_image_front(RELEASE_WITH_ART_MBID, size="250")
    assert jpeg_size(front) == (250, 250)
    back = musicbrainzngs.get_image_back(RELEASE_WITH_ART_MBID)
    assert jpeg_size(back) == (1400, 1240)
    group = musicbrainzngs.get_release_group_image_list(RELEASE_GROUP_WITH_ART_MBID)
    assert group["release"].endswith(RELEASE_GROUP_ART_RELEASE_MBID)
    with pytest.raises(musicbrainzngs.ResponseError) as error:
        musicbrainzngs.get_image_front(RELEASE_WITHOUT_ART_MBID)
    assert error.value.cause.code == 404
    error.value.cause.close()  # urllib's HTTPError holds the socket until closed
    assert ngs_caa.download_calls == 2
