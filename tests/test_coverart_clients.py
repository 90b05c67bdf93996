"""musicbrainzngs' Cover Art Archive functions through sleeve: a client changes only its
host (``set_caa_hostname``) and gets the archive's answers, images from sleeve's store."""

from __future__ import annotations

import hashlib
import io
import pathlib
import shutil
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from sleeve.emulators.metabrainz_data import (
    RELEASE_GROUP_ART_RELEASE_MBID,
    RELEASE_GROUP_WITH_ART_MBID,
    RELEASE_GROUP_WITHOUT_ART_MBID,
    RELEASE_WITH_ART_MBID,
    RELEASE_WITHOUT_FRONT_MBID,
)
from tests.client_libraries import require
from tests.conftest import RunningCoverArt
from tests.servers import CLOSED, gateway

musicbrainzngs = require("musicbrainzngs")
caa = require("musicbrainzngs.caa", "musicbrainzngs")

ADMIN = "coverart-clients-admin"
MBID = RELEASE_WITH_ART_MBID


def settings(coverart: RunningCoverArt, store: pathlib.Path, **images: object) -> dict:
    return {
        "upstreams": {
            "coverartarchive": {"base_url": coverart.url, "rate_limit": 1_000_000, "attempts": 1}
        },
        "images": {
            "path": str(store),
            "require_key": False,
            "allowed_hosts": [coverart.host],
            **images,
        },
        "server": {"admin_token": ADMIN},
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("coverart-client-images")


@pytest.fixture(scope="module")
def sleeve(coverart: RunningCoverArt, store: pathlib.Path) -> Iterator[str]:
    with gateway(CLOSED, **settings(coverart, store)) as url:
        yield url


@pytest.fixture(autouse=True)
def _empty_gateway(sleeve: str, store: pathlib.Path) -> None:
    """Nothing cached, nothing kept: each test's counts start from zero."""
    purged = httpx.post(
        f"{sleeve}/_sleeve/cache/purge",
        json={"path": "/", "prefix": True},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert purged.status_code == 200, purged.text
    for child in store.iterdir():
        shutil.rmtree(child)


def point_musicbrainzngs_at(url: str) -> None:
    caa.set_caa_hostname(url.removeprefix("http://"), use_https=False)


@pytest.fixture
def client(sleeve: str) -> Iterator[str]:
    """musicbrainzngs pointed at sleeve; the library's global settings restored after."""
    hostname, https = caa.hostname, caa.https
    musicbrainzngs.set_useragent("sleeve-tests", "1.0", "https://example.invalid/sleeve")
    point_musicbrainzngs_at(sleeve)
    try:
        yield sleeve
    finally:
        caa.set_caa_hostname(hostname, use_https=https)


def jpeg_size(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


def test_get_image_list(client: str, coverart: RunningCoverArt) -> None:
    listing = musicbrainzngs.get_image_list(MBID)
    assert listing["release"] == f"https://musicbrainz.org/release/{MBID}"
    ids = [image.id for image in coverart.emulator.catalogue.cover_art[MBID]]
    assert [image["id"] for image in listing["images"]] == ids
    for image in listing["images"]:
        assert image["image"].startswith(f"{client}/release/{MBID}/")
        assert set(image["thumbnails"]) == {"250", "500", "1200", "small", "large"}
    assert musicbrainzngs.get_image_list(MBID.upper()) == listing
    assert coverart.emulator.calls == 1
    requests = coverart.emulator.requests
    assert "sleeve" in requests[0].headers.get("User-Agent", "")  # sleeve's own agent


def test_get_image_front_and_back(client: str, coverart: RunningCoverArt) -> None:
    small = musicbrainzngs.get_image_front(MBID, size="250")
    assert jpeg_size(small) == (250, 250)
    assert musicbrainzngs.get_image_front(MBID, size=250) == small
    back = musicbrainzngs.get_image_back(MBID, size="500")
    assert jpeg_size(back) == (500, 443)
    front = musicbrainzngs.get_image_front(MBID)
    assert jpeg_size(front) == (1400, 1400)
    front_id = coverart.emulator.catalogue.cover_art[MBID][0].id
    assert musicbrainzngs.get_image(MBID, int(front_id)) == front
    assert musicbrainzngs.get_image(MBID, front_id, size="250") == small
    assert coverart.emulator.download_calls == 3  # front-250, back-500, front: once each
    assert coverart.emulator.calls == 5  # front-250, back-500, front, {id}, {id}-250
    assert musicbrainzngs.get_image_front(MBID, size="250") == small
    assert coverart.emulator.calls == 5


def test_release_group_functions(client: str, coverart: RunningCoverArt) -> None:
    listing = musicbrainzngs.get_release_group_image_list(RELEASE_GROUP_WITH_ART_MBID)
    release = RELEASE_GROUP_ART_RELEASE_MBID
    assert listing["release"] == f"https://musicbrainz.org/release/{release}"
    [front] = listing["images"]
    assert front["front"] is True
    assert front["image"].startswith(f"{client}/release/{release}/")
    image = musicbrainzngs.get_release_group_image_front(RELEASE_GROUP_WITH_ART_MBID)
    assert jpeg_size(image) == (1400, 1400)
    small = musicbrainzngs.get_release_group_image_front(RELEASE_GROUP_WITH_ART_MBID, size="250")
    assert jpeg_size(small) == (250, 250)
    # What the listing links to is the same file, kept once.
    assert httpx.get(front["image"], follow_redirects=True).content == image
    assert coverart.emulator.download_calls == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: musicbrainzngs.get_image_list("00000000-0000-4000-8000-000000000000"),
        lambda: musicbrainzngs.get_image_front(RELEASE_WITHOUT_FRONT_MBID),
        lambda: musicbrainzngs.get_image_back(RELEASE_WITHOUT_FRONT_MBID, size="250"),
        lambda: musicbrainzngs.get_image(MBID, 1234),
        lambda: musicbrainzngs.get_release_group_image_list(RELEASE_GROUP_WITHOUT_ART_MBID),
        lambda: musicbrainzngs.get_release_group_image_front(RELEASE_GROUP_WITHOUT_ART_MBID),
    ],
)
def test_nothing_there_is_the_404_musicbrainzngs_expects(
    client: str, coverart: RunningCoverArt, call: object
) -> None:
    with pytest.raises(musicbrainzngs.ResponseError) as raised:
        call()  # type: ignore[operator]
    raised.value.cause.close()  # urllib's HTTPError holds the connection open
    assert raised.value.cause.code == 404
    assert coverart.emulator.download_calls == 0


def test_an_unparseable_mbid_is_the_400_musicbrainzngs_expects(
    client: str, coverart: RunningCoverArt
) -> None:
    for call in (
        lambda: musicbrainzngs.get_image_list("not-an-mbid"),
        lambda: musicbrainzngs.get_image_front("not-an-mbid", size="500"),
    ):
        with pytest.raises(musicbrainzngs.ResponseError) as raised:
            call()
        raised.value.cause.close()  # urllib's HTTPError holds the connection open
        assert raised.value.cause.code == 400
    assert coverart.emulator.calls == 0


def test_redirect_delivery_is_followed_by_musicbrainzngs(
    client: str, coverart: RunningCoverArt, tmp_path: pathlib.Path
) -> None:
    """With ``cover_art_delivery: redirect`` the client follows sleeve's 307 to the kept
    copy, as it follows the archive's own 307 to archive.org."""
    redirecting = settings(coverart, tmp_path / "images", cover_art_delivery="redirect")
    with gateway(CLOSED, **redirecting) as url:
        point_musicbrainzngs_at(url)
        image = musicbrainzngs.get_image_front(MBID, size="500")
        assert jpeg_size(image) == (500, 500)
        located = httpx.get(f"{url}/release/{MBID}/front-500")
        assert located.status_code == 307
        digest = hashlib.sha256(image).hexdigest()
        assert located.headers["location"] == f"{url}/_sleeve/blobs/{digest}"
        assert (coverart.emulator.calls, coverart.emulator.download_calls) == (1, 1)
