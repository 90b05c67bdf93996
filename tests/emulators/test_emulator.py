"""Quick checks of the Discogs emulator itself, over real HTTP.

If these fail, sleeve's own tests against the emulator mean nothing, so they cover the
behaviour those tests lean on: pagination and Link headers, auth, rate limits, counters,
failure modes, Accept variants, the missing-User-Agent quirk and the thread runner.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread, start_in_thread
from sleeve.emulators.discogs_data import IMAGE_ROOT, build_catalogue
from sleeve.emulators.discogs_listing import PageRequest, link_header, page_urls, page_window
from sleeve.emulators.discogs_markup import render, variant_from_accept

UA = "SleeveEmulatorTests/1.0 +https://sleeve.test"
TOKEN = {"Authorization": "Discogs token=emulator-token"}


@dataclass
class Emulated:
    emulator: DiscogsEmulator
    base_url: str
    session: aiohttp.ClientSession

    async def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        async with self.session.get(self.base_url + path, headers=headers) as response:
            return response.status, dict(response.headers), await response.read()

    async def get_json(self, path: str, **headers: str) -> tuple[int, dict[str, str], dict]:
        status, response_headers, body = await self.get(path, **headers)
        return status, response_headers, json.loads(body)


async def _running(emulator: DiscogsEmulator) -> AsyncIterator[Emulated]:
    async with (
        emulator.serve() as base_url,
        aiohttp.ClientSession(headers={"User-Agent": UA}) as session,
    ):
        yield Emulated(emulator, base_url, session)


@pytest.fixture
async def emulated() -> AsyncIterator[Emulated]:
    async for emulated in _running(DiscogsEmulator()):
        yield emulated


@pytest.fixture
async def strict_emulated() -> AsyncIterator[Emulated]:
    async for emulated in _running(DiscogsEmulator(rate_limit=3, window_seconds=1)):
        yield emulated


def _rels(link: str) -> dict[str, str]:
    """``<url>; rel="next", …`` → ``{"next": url, …}``."""
    rels = {}
    for part in link.split(", "):
        url, rel = part.split("; ")
        rels[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return rels


# --- pure helpers -----------------------------------------------------------------------


def test_page_urls_only_offer_applicable_links() -> None:
    first = page_window(128, PageRequest(page=1, per_page=50))
    assert (first.pages, first.start, first.end) == (3, 0, 50)
    assert set(page_urls("http://x/a", [], first)) == {"next", "last"}
    middle = page_urls(
        "http://x/a", [("sort", "year"), ("token", "t")], page_window(128, PageRequest(2, 50))
    )
    assert middle["next"] == "http://x/a?sort=year&per_page=50&page=3"
    assert link_header(middle) == (
        '<http://x/a?sort=year&per_page=50&page=3>; rel="next", '
        '<http://x/a?sort=year&per_page=50&page=1>; rel="prev", '
        '<http://x/a?sort=year&per_page=50&page=3>; rel="last", '
        '<http://x/a?sort=year&per_page=50&page=1>; rel="first"'
    )
    assert link_header(page_urls("http://x/a", [], page_window(3, PageRequest(1, 50)))) is None


def test_markup_variants() -> None:
    def resolve(kind: str, entity_id: int) -> str | None:
        return {("a", 1): "The Example Ensemble"}.get((kind, entity_id))

    text = "By [a1] & [a=Jane Placeholder], see [url=https://x.test]site[/url] [b]now[/b]"
    assert render(text, "discogs", resolve, "https://w") == text
    assert render(text, "plaintext", resolve, "https://w") == (
        "By The Example Ensemble & Jane Placeholder, see site now"
    )
    assert render(text, "html", resolve, "https://w") == (
        'By <a href="https://w/artist/1">The Example Ensemble</a> &amp; '
        '<a href="https://w/artist/Jane%20Placeholder">Jane Placeholder</a>, see '
        '<a href="https://x.test">site</a> <b>now</b>'
    )
    assert variant_from_accept("application/vnd.discogs.v2.html+json") == "html"
    assert variant_from_accept("application/json") == "discogs"


def test_catalogue_has_the_promised_sizes() -> None:
    catalogue = build_catalogue()
    assert len(catalogue.artist_releases(1)) >= 120
    assert len(catalogue.master_versions(1)) >= 60
    assert len(catalogue.label_releases(1)) >= 60
    assert "master_id" not in catalogue.releases[5]
    assert catalogue.masters[1]["main_release"] in catalogue.releases


# --- over HTTP --------------------------------------------------------------------------


async def test_root_and_urls_point_at_the_emulator(emulated: Emulated) -> None:
    status, headers, body = await emulated.get_json("/")
    assert status == 200 and body["api_version"] == "v2"
    assert body["statistics"]["releases"] == len(emulated.emulator.catalogue.releases)
    assert headers["Content-Type"] == "application/json"
    _, _, artist = await emulated.get_json("/artists/1")
    assert artist["resource_url"] == f"{emulated.base_url}/artists/1"
    assert artist["releases_url"] == f"{emulated.base_url}/artists/1/releases"
    assert artist["uri"].startswith("https://www.discogs.com/artist/1-")


async def test_pagination_and_link_header(emulated: Emulated) -> None:
    status, headers, page1 = await emulated.get_json("/artists/1/releases?sort=year")
    assert status == 200
    assert page1["pagination"]["per_page"] == 50 and page1["pagination"]["pages"] == 3
    assert set(page1["pagination"]["urls"]) == {"next", "last"}
    assert set(_rels(headers["Link"])) == {"next", "last"}

    next_url = page1["pagination"]["urls"]["next"]
    assert next_url == f"{emulated.base_url}/artists/1/releases?sort=year&per_page=50&page=2"
    async with emulated.session.get(next_url) as response:
        page2 = await response.json()
        assert set(_rels(response.headers["Link"])) == {"first", "prev", "next", "last"}
    assert page2["pagination"]["page"] == 2 and len(page2["releases"]) == 50
    ids = {r["id"] for r in page1["releases"]} | {r["id"] for r in page2["releases"]}
    assert len(ids) == 100

    _, _, clamped = await emulated.get_json("/artists/1/releases?per_page=500")
    assert clamped["pagination"]["per_page"] == 100
    status, _, missing = await emulated.get_json("/artists/1/releases?page=99")
    assert (status, missing) == (404, {"message": "Page not found"})


async def test_sorting_and_version_filters(emulated: Emulated) -> None:
    _, _, desc = await emulated.get_json(
        "/artists/1/releases?sort=year&sort_order=desc&per_page=100"
    )
    years = [r["year"] for r in desc["releases"]]
    assert years == sorted(years, reverse=True)
    _, _, versions = await emulated.get_json("/masters/1/versions?country=Japan&sort=released")
    assert versions["versions"] and {v["country"] for v in versions["versions"]} == {"Japan"}
    assert versions["filters"]["applied"] == {"country": ["Japan"]}
    _, _, all_versions = await emulated.get_json("/masters/1/versions?per_page=100")
    assert all_versions["pagination"]["items"] >= 60


async def test_errors_look_like_discogs(emulated: Emulated) -> None:
    status, _, body = await emulated.get_json("/releases/424242")
    assert (status, body) == (404, {"message": "Release not found."})
    status, _, body = await emulated.get_json("/artists/not-a-number")
    assert (status, body) == (404, {"message": "The requested resource was not found."})
    status, _, body = await emulated.get_json("/no/such/thing")
    assert (status, body) == (404, {"message": "The requested resource was not found."})
    async with emulated.session.delete(emulated.base_url + "/artists/1") as response:
        assert response.status == 405
        assert await response.json() == {
            "message": "The method is not allowed for the requested URL."
        }


async def test_auth_rules(emulated: Emulated) -> None:
    status, _, body = await emulated.get_json("/database/search?q=example")
    assert (status, body) == (401, {"message": "You must authenticate to access this resource."})
    status, _, body = await emulated.get_json("/artists/1", Authorization="Discogs token=wrong")
    assert status == 401 and body["message"].startswith("Invalid consumer token")

    status, headers, body = await emulated.get_json(
        "/database/search?q=example&type=artist", **TOKEN
    )
    assert status == 200 and headers["X-Discogs-Ratelimit"] == "60"
    assert [r["title"] for r in body["results"]] == ["The Example Ensemble"]
    key_secret = {"Authorization": "Discogs key=emulator-key, secret=emulator-secret"}
    status, _, _ = await emulated.get_json("/database/search?year=1998&format=Vinyl", **key_secret)
    assert status == 200
    query_auth = (
        "/database/search?genre=folk%2C+world%2C+%26+country"
        "&key=emulator-key&secret=emulator-secret"
    )
    status, _, body = await emulated.get_json(query_auth)
    assert status == 200 and {r["type"] for r in body["results"]} == {"master", "release"}
    assert all(isinstance(r.get("year", ""), str) for r in body["results"])


async def test_images_only_for_authenticated_callers(emulated: Emulated) -> None:
    _, anonymous_headers, anonymous = await emulated.get_json("/releases/1")
    _, _, authenticated = await emulated.get_json("/releases/1", **TOKEN)
    assert "images" not in anonymous and anonymous["thumb"] == ""
    assert anonymous_headers["X-Discogs-Ratelimit"] == "25"
    assert authenticated["images"][0]["type"] == "primary"
    assert authenticated["images"][0]["uri"].startswith(IMAGE_ROOT + "/")
    assert authenticated["thumb"].startswith(IMAGE_ROOT + "/")
    _, _, no_master = await emulated.get_json("/releases/5", **TOKEN)
    assert "master_id" not in no_master and no_master["lowest_price"] is None


async def test_accept_variants(emulated: Emulated) -> None:
    results = {}
    for variant in ("discogs", "html", "plaintext"):
        accept = f"application/vnd.discogs.v2.{variant}+json"
        _, headers, body = await emulated.get_json("/artists/1", Accept=accept)
        assert headers["X-Discogs-Media-Type"] == f"discogs.v2.{variant}+json"
        results[variant] = body["profile"]
    assert "[a=The Example Ensemble]" in results["discogs"]
    assert '<a href="' in results["html"] and "[a" not in results["html"]
    assert results["plaintext"].startswith("The Example Ensemble are")
    _, headers, body = await emulated.get_json("/artists/1", Accept="application/json")
    assert body["profile"] == results["discogs"]


async def test_missing_user_agent_gets_an_empty_200(emulated: Emulated) -> None:
    # A session of its own: the fixture's session sends a User-Agent on every request.
    async with (
        aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare,
        bare.get(emulated.base_url + "/artists/1", headers=TOKEN) as response,
    ):
        assert response.status == 200
        assert await response.read() == b""
    assert "User-Agent" not in emulated.emulator.requests[-1].headers
    assert emulated.emulator.calls == 1


async def test_rate_limit_window(strict_emulated: Emulated) -> None:
    for used in (1, 2, 3):
        status, headers, _ = await strict_emulated.get("/artists/1", **TOKEN)
        assert status == 200 and headers["X-Discogs-Ratelimit-Used"] == str(used)
        assert headers["X-Discogs-Ratelimit-Remaining"] == str(3 - used)
    status, headers, body = await strict_emulated.get("/artists/2", **TOKEN)
    assert status == 429 and json.loads(body) == {"message": "You are making requests too quickly."}
    assert headers["Retry-After"] == "1" and headers["X-Discogs-Ratelimit-Remaining"] == "0"
    assert len(strict_emulated.emulator.arrival_times()) == 4
    await asyncio.sleep(1.05)
    status, _, _ = await strict_emulated.get("/artists/2", **TOKEN)
    assert status == 200


async def test_counters_and_reset(emulated: Emulated) -> None:
    await emulated.get("/artists/1", **TOKEN)
    await emulated.get("/artists/1?x=1")
    await emulated.get("/releases/1")
    emulator = emulated.emulator
    assert emulator.calls == 3
    assert emulator.calls_by_path["/artists/1"] == 2
    first = emulator.requests[0]
    assert first.method == "GET" and first.path_qs == "/artists/1"
    assert first.headers["User-Agent"] == UA
    assert first.headers["Authorization"] == "Discogs token=emulator-token"
    assert (
        emulator.requests[1].path == "/artists/1"
        and emulator.requests[1].path_qs == "/artists/1?x=1"
    )
    assert emulator.arrival_times("/artists/1") == [r.time for r in emulator.requests[:2]]
    emulator.reset()
    assert emulator.calls == 0 and not emulator.calls_by_path and not emulator.requests


async def test_drop_mode_closes_the_connection(emulated: Emulated) -> None:
    # aiohttp's client retries an idempotent request once after a disconnect, so a single
    # dropped request (times=1) would go unnoticed by it: drop every request instead.
    emulated.emulator.set_mode("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await emulated.get("/artists/1")
    assert emulated.emulator.calls_by_path["/artists/1"] == 2  # the attempt and the retry
    emulated.emulator.set_mode("drop", times=1)
    status, _, _ = await emulated.get("/artists/1")
    assert status == 200 and emulated.emulator.mode == "ok"
    assert emulated.emulator.calls_by_path["/artists/1"] == 4


async def test_garbage_error_ratelimited_and_delay_modes(emulated: Emulated) -> None:
    emulated.emulator.set_mode("garbage", times=1)
    status, headers, body = await emulated.get("/artists/1")
    assert status == 200 and headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)

    emulated.emulator.set_mode("error", status=503, times=2)
    for _ in range(2):
        status, _, body = await emulated.get("/artists/1")
        assert status == 503 and "message" in json.loads(body)
    assert (await emulated.get("/artists/1"))[0] == 200

    emulated.emulator.set_mode("ratelimited", retry_after=7)
    status, headers, _ = await emulated.get("/artists/1")
    assert status == 429 and headers["Retry-After"] == "7"

    emulated.emulator.set_mode("delay", seconds=0.2, times=1)
    started = time.monotonic()
    assert (await emulated.get("/artists/1"))[0] == 200
    assert time.monotonic() - started >= 0.2


async def test_control_endpoints(emulated: Emulated) -> None:
    async with emulated.session.post(
        emulated.base_url + "/_emulator/mode", json={"mode": "error", "status": 502, "times": 1}
    ) as response:
        assert response.status == 200
    assert (await emulated.get("/labels/1"))[0] == 502
    async with emulated.session.get(emulated.base_url + "/_emulator/calls") as response:
        calls = await response.json()
    assert calls["calls"] == 1 and calls["calls_by_path"] == {"/labels/1": 1}
    async with emulated.session.post(emulated.base_url + "/_emulator/reset") as response:
        assert response.status == 200
    assert emulated.emulator.calls == 0


def test_thread_runner_serves_synchronous_callers() -> None:
    emulator = DiscogsEmulator()

    def fetch(base_url: str) -> dict:
        request = urllib.request.Request(base_url + "/labels/2", headers={"User-Agent": UA})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    with EmulatorThread(emulator) as base_url:
        assert fetch(base_url)["parent_label"]["id"] == 1
    base_url, stop = start_in_thread(emulator)
    try:
        assert fetch(base_url)["resource_url"] == f"{base_url}/labels/2"
    finally:
        stop()
    assert emulator.calls_by_path["/labels/2"] == 2
