"""Checks of the Discogs emulator's image host (``image_host="self"``), over real HTTP.

Signed URLs in authenticated answers, real JPEG bytes behind them, 404 for any change to a
URL, a fetch limit of their own, counters, failure modes, and no change at all to answers
when the image host is off (the default).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from sleeve.emulators.discogs import DiscogsEmulator
from sleeve.emulators.discogs_data import IMAGE_ROOT
from sleeve.emulators.discogs_images import (
    IMAGE_PATH,
    ImageSigner,
    ImageSpec,
    etag_matches,
    parse_signed_part,
    signed_part_of,
)
from tests.emulators.test_emulator import TOKEN, UA, Emulated, _running

Image = pytest.importorskip("PIL.Image", reason="the emulator's image host renders with Pillow")

NOT_FOUND = {"message": "Image not found."}


@pytest.fixture
async def imaging() -> AsyncIterator[Emulated]:
    async for emulated in _running(DiscogsEmulator(image_host="self")):
        yield emulated


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _decode(body: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        return image.format, image.size


def _tamper(url: str, position: int) -> str:
    """``url`` with the character at ``position`` swapped for another URL-safe one."""
    replacement = "B" if url[position] == "A" else "A"
    return url[:position] + replacement + url[position + 1 :]


async def _fetch(
    emulated: Emulated, url: str, **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    async with emulated.session.get(url, headers=headers) as response:
        return response.status, CIMultiDict(response.headers), await response.read()


# --- pure helpers -----------------------------------------------------------------------


def test_signatures_and_signed_parts() -> None:
    signer = ImageSigner(b"k" * 32)
    part = "rs:fit/g:sm/q:90/h:600/w:500/ZGlzY29ncy1pbWFnZXMvUi0xLTEuanBlZw.jpeg"
    signature = signer.sign(part)
    assert len(signature) == 43 and signer.verify(signature, part)
    assert not signer.verify(signature, part.replace("w:500", "w:501"))
    assert not ImageSigner(b"j" * 32).verify(signature, part)
    assert parse_signed_part(part) == ImageSpec("discogs-images/R-1-1.jpeg", 500, 600, 90)
    assert parse_signed_part(part.replace(".jpeg", ".png")) is None
    assert parse_signed_part(part.replace("w:500", "w:0")) is None
    assert signed_part_of(f"{IMAGE_ROOT}/sig/{part}", IMAGE_ROOT) == part
    assert etag_matches('W/"a", "b"', '"a"') and etag_matches("*", '"x"')
    assert not etag_matches(None, '"a"') and not etag_matches('"b"', '"a"')


def test_unknown_image_host_is_refused() -> None:
    with pytest.raises(ValueError, match="image_host"):
        DiscogsEmulator(image_host="https://elsewhere.test")


# --- over HTTP --------------------------------------------------------------------------


async def test_authenticated_answers_point_at_the_emulator(imaging: Emulated) -> None:
    status, _, release = await imaging.get_json("/releases/1", **TOKEN)
    assert status == 200
    prefix = imaging.base_url + IMAGE_PATH + "/"
    primary = release["images"][0]
    assert primary["uri"].startswith(prefix) and primary["uri150"].startswith(prefix)
    assert primary["resource_url"] == primary["uri"]
    assert release["thumb"] == primary["uri150"]
    assert "/rs:fit/g:sm/q:90/h:600/w:600/" in primary["uri"] and primary["uri"].endswith(".jpeg")
    assert "/h:150/w:150/" in primary["uri150"]
    assert not [s for s in _strings(release) if s.startswith(IMAGE_ROOT)]
    emulator = imaging.emulator
    assert emulator.image_url_for("release", 1, 0, imaging.base_url) == primary["uri"]
    second = emulator.image_url_for("release", 1, 1, imaging.base_url + "/")
    assert second == release["images"][1]["uri"]
    thumb = emulator.image_url_for("release", 1, 0, imaging.base_url, size="uri150")
    assert thumb == primary["uri150"]
    # Re-signed per request, yet stable: the same image keeps the same URL.
    _, _, again = await imaging.get_json("/releases/1", **TOKEN)
    assert again["images"] == release["images"]
    # Search results and paged lists carry image URLs on the emulator too.
    _, _, results = await imaging.get_json("/database/search?q=example", **TOKEN)
    covers = [r["cover_image"] for r in results["results"] if r["cover_image"]]
    assert covers and all(c.startswith(prefix) for c in covers)
    # Anonymous callers still get no image URLs at all.
    _, _, anonymous = await imaging.get_json("/releases/1")
    assert "images" not in anonymous and anonymous["thumb"] == ""


async def test_fetching_an_image_gives_a_jpeg_of_the_advertised_size(imaging: Emulated) -> None:
    _, _, release = await imaging.get_json("/releases/1", **TOKEN)
    for image in release["images"]:
        status, headers, body = await _fetch(imaging, image["uri"])
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert int(headers["Content-Length"]) == len(body)
        assert headers["ETag"].startswith('"') and "max-age" in headers["Cache-Control"]
        assert _decode(body) == ("JPEG", (image["width"], image["height"]))
    status, _, thumb = await _fetch(imaging, release["images"][0]["uri150"])
    assert status == 200 and _decode(thumb) == ("JPEG", (150, 150))
    # Deterministic per image; different images look different.
    first = release["images"][0]["uri"]
    _, headers, body = await _fetch(imaging, first)
    _, headers_again, body_again = await _fetch(imaging, first)
    assert body == body_again and headers["ETag"] == headers_again["ETag"]
    _, _, artist = await imaging.get_json("/artists/1", **TOKEN)
    _, _, other = await _fetch(imaging, artist["images"][0]["uri"])
    assert other != body
    # Conditional and HEAD requests.
    status, _, empty = await _fetch(imaging, first, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and empty == b""
    async with imaging.session.head(first) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert int(response.headers["Content-Length"]) == len(body)


async def test_image_fetches_need_no_credentials_but_the_urls_do(imaging: Emulated) -> None:
    url = imaging.emulator.image_url_for("artist", 1, 0, imaging.base_url)
    async with (
        aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare,
        bare.get(url) as response,
    ):
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"


async def test_any_change_to_an_image_url_gives_404(imaging: Emulated) -> None:
    url = imaging.emulator.image_url_for("release", 1, 0, imaging.base_url)
    signature_start = len(imaging.base_url + IMAGE_PATH + "/")
    tampered = [
        _tamper(url, signature_start),  # first character of the signature
        _tamper(url, signature_start + 42),  # last character of the signature
        _tamper(url, len(url) - len(".jpeg") - 1),  # last character of the image id
        url.replace("/w:600/", "/w:601/"),
        url.replace("/q:90/", "/q:40/"),
        url.replace(".jpeg", ".jpg"),
        url + "?token=emulator-token",
        imaging.base_url + IMAGE_PATH + "/" + url[signature_start:].split("/", 1)[1],
    ]
    for changed in tampered:
        assert changed != url
        status, headers, body = await _fetch(imaging, changed)
        assert (status, json.loads(body)) == (404, NOT_FOUND), changed
        assert headers["Content-Type"] == "application/json"
    assert (await _fetch(imaging, url))[0] == 200
    async with imaging.session.post(url) as response:
        assert response.status == 405
    assert imaging.emulator.image_calls == len(tampered) + 2


async def test_image_limit_has_its_own_moving_window() -> None:
    emulator = DiscogsEmulator(
        image_host="self", image_limit=3, image_window_seconds=1, rate_limit=2, window_seconds=60
    )
    async for emulated in _running(emulator):
        _, _, release = await emulated.get_json("/releases/1", **TOKEN)
        urls = [release["images"][0]["uri"], release["images"][0]["uri150"]]
        for n in range(3):
            status, headers, _ = await _fetch(emulated, urls[n % 2])
            assert status == 200 and "X-Discogs-Ratelimit" not in headers
        status, headers, body = await _fetch(emulated, urls[0])
        assert status == 429 and headers["Retry-After"] == "1"
        assert json.loads(body)["message"]
        # Image fetches did not use up the API allowance (2 per minute, 1 used so far).
        status, api_headers, _ = await emulated.get("/releases/2", **TOKEN)
        assert status == 200 and api_headers["X-Discogs-Ratelimit-Used"] == "2"
        # ... and the API being at its limit does not stop images.
        assert (await emulated.get("/releases/3", **TOKEN))[0] == 429
        await asyncio.sleep(1.05)
        assert (await _fetch(emulated, urls[0]))[0] == 200
        assert emulator.image_limit == 3 and emulator.image_window_seconds == 1


async def test_image_counters_and_reset(imaging: Emulated) -> None:
    emulator = imaging.emulator
    await imaging.get("/releases/1", **TOKEN)
    url = emulator.image_url_for("release", 1, 0, imaging.base_url)
    thumb = emulator.image_url_for("release", 1, 0, imaging.base_url, size="uri150")
    for target in (url, url, thumb):
        await _fetch(imaging, target)
    path = url.removeprefix(imaging.base_url)
    assert emulator.calls == 4 and emulator.image_calls == 3
    assert emulator.calls_by_path["/releases/1"] == 1
    assert emulator.image_calls_by_path[path] == 2 and emulator.calls_by_path[path] == 2
    assert emulator.requests[1].path == path and emulator.requests[1].headers["User-Agent"] == UA
    assert emulator.arrival_times(path) == [r.time for r in emulator.requests[1:3]]
    async with imaging.session.get(imaging.base_url + "/_emulator/calls") as response:
        calls = await response.json()
    assert calls["image_calls"] == 3 and calls["image_calls_by_path"][path] == 2
    emulator.image_limit = 3
    assert (await _fetch(imaging, url))[0] == 429
    emulator.reset()
    assert emulator.image_calls == 0 and not emulator.image_calls_by_path
    assert (await _fetch(imaging, url))[0] == 200


async def test_modes_apply_to_image_fetches(imaging: Emulated) -> None:
    emulator = imaging.emulator
    url = emulator.image_url_for("label", 1, 0, imaging.base_url)

    emulator.set_mode("garbage", times=1)
    status, headers, body = await _fetch(imaging, url)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    with pytest.raises(Image.UnidentifiedImageError):
        _decode(body)

    truncated = (await _fetch(imaging, url))[2][:100]
    emulator.set_mode("garbage", body=truncated, times=1)
    status, _, body = await _fetch(imaging, url)
    assert status == 200 and body == truncated
    with pytest.raises(OSError):
        _decode(body)

    emulator.set_mode("error", status=503, times=1)
    status, _, body = await _fetch(imaging, url)
    assert status == 503 and "message" in json.loads(body)

    emulator.set_mode("ratelimited", retry_after=9, times=1)
    status, headers, _ = await _fetch(imaging, url)
    assert status == 429 and headers["Retry-After"] == "9"

    emulator.set_mode("delay", seconds=0.2, times=1)
    started = asyncio.get_running_loop().time()
    assert (await _fetch(imaging, url))[0] == 200
    assert asyncio.get_running_loop().time() - started >= 0.2

    emulator.set_mode("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _fetch(imaging, url)
    emulator.set_mode("ok")
    assert (await _fetch(imaging, url))[0] == 200


async def test_default_leaves_answers_and_paths_as_before() -> None:
    default, imaging = DiscogsEmulator(), DiscogsEmulator(image_host="self")
    assert default.image_host is None
    paths = ["/releases/1", "/artists/1", "/masters/1", "/database/search?q=example"]
    async for plain in _running(default):
        for path in paths:
            _, _, body = await plain.get_json(path, **TOKEN)
            served = [s for s in _strings(body) if s.startswith(IMAGE_ROOT + "/")]
            assert served, path
            assert not [s for s in _strings(body) if IMAGE_PATH + "/" in s]
        _, _, release = await plain.get_json("/releases/1", **TOKEN)
        url = default.image_url_for("release", 1, 0, plain.base_url)
        assert url == release["images"][0]["uri"]
        status, _, body = await plain.get_json(IMAGE_PATH + "/x/y.jpeg")
        assert (status, body) == (404, {"message": "The requested resource was not found."})
        assert default.image_calls == 0
    # With the image host on, only the image URLs differ.
    async for plain in _running(default):
        async for on_emulator in _running(imaging):
            for path in paths:
                _, _, before = await plain.get_json(path, **TOKEN)
                _, _, after = await on_emulator.get_json(path, **TOKEN)
                before_text = json.dumps(before).replace(plain.base_url, "BASE")
                after_text = json.dumps(after).replace(on_emulator.base_url, "BASE")
                assert len(list(_strings(before))) == len(list(_strings(after)))
                differing = [
                    (a, b)
                    for a, b in zip(
                        _strings(json.loads(before_text)),
                        _strings(json.loads(after_text)),
                        strict=True,
                    )
                    if a != b
                ]
                assert differing and all(
                    a.startswith(IMAGE_ROOT + "/") and b.startswith("BASE" + IMAGE_PATH + "/")
                    for a, b in differing
                )
