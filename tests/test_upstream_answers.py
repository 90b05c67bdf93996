"""What upstreams send is checked before anyone keeps it (issue 11, "upstream answers").

A real gateway in front of the Discogs emulator, which counts every call. A 200 that is
not what Discogs sends is a 502 that is never stored: the next request asks again, and a
good answer kept earlier stands in for it (stale-if-error), even for a background refresh.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiohttp import web

from tests.conftest import RunningCoverArt, RunningEmulator
from tests.emulators.discogs import EmulatorThread
from tests.emulators.serving import serve_app
from tests.servers import gateway

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_AN_OBJECT = [
    pytest.param(b"not json", id="not-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"null", id="null"),
    pytest.param(b'"a string"', id="a-string"),
    pytest.param(b"[1, 2]", id="a-list"),
    pytest.param(b'{"a": ' * 200 + b"1" + b"}" * 200, id="nested-too-deep"),
    pytest.param(DEEP, id="nested-past-recursion"),
]


def get(base: str, path: str) -> httpx.Response:
    return httpx.get(base + path, timeout=20)


@pytest.fixture
def short_lived(discogs: RunningEmulator) -> Iterator[str]:
    """Answers fresh for 0.3 s, then served only if the upstream fails."""
    cache = {"ttls": {"discogs": {"artist": 0.3}}, "stale_while_revalidate": 0}
    with gateway(discogs.url, cache=cache, upstreams={"discogs": {"attempts": 1}}) as url:
        yield url


@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_discogs_200_that_is_not_an_object_is_a_502_never_stored(
    short_lived: str, discogs: RunningEmulator, body: bytes
) -> None:
    discogs.emulator.set_mode("garbage", body=body)
    refused = get(short_lived, "/artists/1")
    assert refused.status_code == 502
    assert "Discogs" in refused.json()["message"]
    discogs.emulator.set_mode("ok")
    recovered = get(short_lived, "/artists/1")
    assert recovered.status_code == 200
    assert recovered.headers["cache-status"].startswith("sleeve; fwd=miss")
    assert discogs.emulator.calls == 2


def test_garbage_after_a_good_answer_serves_the_good_one(
    short_lived: str, discogs: RunningEmulator
) -> None:
    good = get(short_lived, "/artists/2")
    time.sleep(0.4)  # past freshness: the next request asks Discogs
    discogs.emulator.set_mode("garbage", body=b"<html>maintenance</html>")
    stale = get(short_lived, "/artists/2")
    assert stale.status_code == 200 and stale.json() == good.json()
    assert 'detail="stale-if-error"' in stale.headers["cache-status"]


def test_a_background_refresh_never_replaces_a_good_answer_with_garbage(
    discogs: RunningEmulator,
) -> None:
    cache = {"ttls": {"discogs": {"label": 0.3}}, "stale_while_revalidate": 60}
    with gateway(discogs.url, cache=cache, upstreams={"discogs": {"attempts": 1}}) as url:
        good = get(url, "/labels/1")
        time.sleep(0.4)
        discogs.emulator.set_mode("garbage", body=b"null")
        for _ in range(3):  # each serves the stale answer and tries a refresh behind it
            again = get(url, "/labels/1")
            assert again.status_code == 200 and again.json() == good.json()
            time.sleep(0.1)
        discogs.emulator.set_mode("ok")
        deadline = time.monotonic() + 10
        while 'detail="stale' in get(url, "/labels/1").headers["cache-status"]:
            assert time.monotonic() < deadline, "the refresh never landed"
            time.sleep(0.05)


class HostileMusicBrainz:
    """A MusicBrainz whose url-rels name "entities" by paths and queries, counting calls."""

    BAD_IDS = ("../../hop/1?x=", "release/../../x", "", "ZZZZZZZZ-0000-0000-0000-000000000000")

    def __init__(self) -> None:
        self.calls = 0

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ws/2/url", self._url)
        app.router.add_get("/ws/2/release/{mbid}", self._release)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    async def _url(self, request: web.Request) -> web.Response:
        self.calls += 1
        relations = [
            {"target-type": kind, kind.replace("-", "_"): {"id": bad, "title": "x"}}
            for bad in self.BAD_IDS
            for kind in ("release", "release-group")
        ]
        body = {
            "id": "5b3f1b7e-8c7a-4a62-9a0e-0a4f0b8c9d11",
            "resource": "x",
            "relations": relations,
        }
        return web.json_response(body)

    async def _release(self, request: web.Request) -> web.Response:
        self.calls += 1
        return web.json_response({"id": request.match_info["mbid"], "release-group": {"id": ".."}})


def test_ids_in_musicbrainz_answers_are_checked_before_they_reach_a_path(
    discogs: RunningEmulator, coverart: RunningCoverArt
) -> None:
    """A url-rel naming ``../../hop/1?x=`` must reach neither a link nor the archive, and
    never stand in as a Discogs release's primary image (issue 11, item 7)."""
    hostile = HostileMusicBrainz()
    with EmulatorThread(hostile) as musicbrainz_url:  # type: ignore[arg-type]
        settings = {
            "upstreams": {
                "musicbrainz": {"base_url": f"{musicbrainz_url}/ws/2", "rate_limit": 1_000_000},
                "coverartarchive": {"base_url": coverart.url, "rate_limit": 1_000_000},
            },
            "images": {
                "require_key": False,
                "allowed_hosts": [coverart.host],
                "sources": ["coverartarchive-release", "coverartarchive-release-group"],
            },
        }
        with gateway(discogs.url, **settings) as url:
            links = get(url, "/releases/1/musicbrainz")
            assert links.status_code == 200
            assert links.json()["musicbrainz"] == []
            image = get(url, "/images/releases/1/0")
            assert image.status_code in (404, 200)
    assert hostile.calls >= 1
    assert coverart.emulator.calls == 0, "nothing was asked of the archive"
