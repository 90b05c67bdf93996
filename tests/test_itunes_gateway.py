"""The iTunes Search API through sleeve, in front of the iTunes emulator over real HTTP:
its paths and parameters, the cache, artwork in any size through the image store,
Apple's 403 as a rate limit, and itunespy pointed at sleeve by its base URLs alone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import itunespy
import pytest
from PIL import Image

from sleeve.app import SPEC_PATH
from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.itunes import ITunesEmulator
from sleeve.emulators.itunes_data import (
    FICTIONAL_FREQUENCIES_ID,
    FICTIONAL_FREQUENCIES_TRACKS,
    SOLO_SKETCHES_ID,
)
from sleeve.itunes.service import LOOKUP_PARAMETERS, SEARCH_PARAMETERS
from sleeve.openapi31 import load_specification
from tests.servers import gateway

UPC = "5012345678900"


@dataclass(frozen=True)
class Running:
    emulator: ITunesEmulator
    upstream: str
    sleeve: str


def itunes_settings(url: str, **itunes: object) -> dict[str, object]:
    host = url.removeprefix("http://")
    return {
        "upstreams": {"itunes": {"base_url": url, "rate_limit": 1_000_000, **itunes}},
        "images": {"allowed_hosts": [host]},
    }


@pytest.fixture(scope="module")
def itunes(discogs) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    emulator = ITunesEmulator(rate_limit=1_000_000)
    with EmulatorThread(emulator) as url, gateway(discogs.url, **itunes_settings(url)) as sleeve:
        yield Running(emulator, url, sleeve)


@pytest.fixture(autouse=True)
def _counted_afresh(request: pytest.FixtureRequest) -> None:
    if "itunes" in request.fixturenames:
        request.getfixturevalue("itunes").emulator.reset()


def test_the_contract_declares_what_the_service_forwards() -> None:
    document = load_specification(SPEC_PATH).raw
    shared = document["components"]["parameters"]
    for path, forwarded in (("/search", SEARCH_PARAMETERS), ("/lookup", LOOKUP_PARAMETERS)):
        parameters = [
            shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            for p in document["paths"][path]["get"]["parameters"]
        ]
        assert {p["name"] for p in parameters if p["in"] == "query"} == set(forwarded)


def test_a_lookup_by_upc_is_apple_s_answer_cached_with_artwork_on_sleeve(itunes: Running) -> None:
    url = f"{itunes.sleeve}/lookup?upc={UPC}&entity=song"
    first = httpx.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["cache-status"].startswith("sleeve; fwd=miss")
    results = first.json()["results"]
    album, *tracks = results
    assert album["collectionId"] == FICTIONAL_FREQUENCIES_ID
    assert [t["trackName"] for t in tracks] == [t[0] for t in FICTIONAL_FREQUENCIES_TRACKS]
    assert album["artworkUrl100"].startswith(f"{itunes.sleeve}/itunes/artwork/")
    assert album["artworkUrl100"].endswith("/100x100bb.jpg")
    again = httpx.get(f"{itunes.sleeve}/lookup?entity=song&upc={UPC}")  # another order
    assert again.headers["cache-status"].startswith("sleeve; hit")
    assert again.content == first.content
    assert itunes.emulator.calls_by_path["/lookup"] == 1


def test_artwork_comes_in_the_size_the_url_asks_for_fetched_once(itunes: Running) -> None:
    album = httpx.get(f"{itunes.sleeve}/lookup?id={FICTIONAL_FREQUENCIES_ID}").json()["results"][0]
    large = album["artworkUrl100"].replace("100x100bb", "600x600bb")
    first = httpx.get(large)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(first.content)).size == (600, 600)
    second = httpx.get(large)
    assert second.content == first.content
    assert itunes.emulator.artwork_calls == 1
    refetched = httpx.get(large, headers={"If-None-Match": first.headers["etag"]})
    assert refetched.status_code == 304


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/itunes/artwork/bm90LWEtdG9rZW4tb2YtbWluZQ/100x100bb.jpg", "not one sleeve gave out"),
        ("/itunes/artwork/aHR0cHM6Ly9ldmlsLmV4YW1wbGUvaW1hZ2UvdGh1bWIvYQ/100x100bb.jpg",
         "not in images.allowed_hosts"),
        ("/itunes/artwork/aHR0cHM6Ly9ldmlsLmV4YW1wbGUvaW1hZ2UvdGh1bWIvYQ/9000x9000bb.jpg",
         "size"),
    ],
)  # fmt: skip
def test_artwork_urls_sleeve_did_not_give_out_are_refused(
    itunes: Running, path: str, said: str
) -> None:
    answer = httpx.get(itunes.sleeve + path)
    assert answer.status_code in (400, 404), answer.text
    assert said in answer.json()["errorMessage"]
    assert itunes.emulator.artwork_calls == 0


def test_search_forwards_the_declared_parameters(itunes: Running) -> None:
    answer = httpx.get(
        f"{itunes.sleeve}/search",
        params={"term": "sketches", "media": "music", "entity": "album", "country": "US"},
    )
    assert answer.status_code == 200, answer.text
    assert [r["collectionId"] for r in answer.json()["results"]] == [SOLO_SKETCHES_ID]
    (request,) = itunes.emulator.requests
    assert "term=sketches" in request.path_qs and "entity=album" in request.path_qs


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("", "term"),
        ("?term=x&limit=500", "limit"),
        ("?term=x&country=USA", "country"),
    ],
)
def test_bad_search_parameters_are_400s_in_apple_s_shape(
    itunes: Running, query: str, said: str
) -> None:
    answer = httpx.get(f"{itunes.sleeve}/search{query}")
    assert answer.status_code == 400
    assert said in answer.json()["errorMessage"]
    assert itunes.emulator.calls == 0


def test_a_lookup_needs_something_to_look_up(itunes: Running) -> None:
    answer = httpx.get(f"{itunes.sleeve}/lookup?entity=song")
    assert answer.status_code == 400
    assert "upc" in answer.json()["errorMessage"]


def test_apple_s_403_is_a_rate_limit_503_with_retry_after_never_a_403(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = ITunesEmulator(rate_limit=1)
    settings = itunes_settings("", attempts=1, max_wait=0.5)
    with EmulatorThread(emulator) as url:
        settings["upstreams"]["itunes"]["base_url"] = url  # type: ignore[index]
        with gateway(discogs.url, **settings) as sleeve:
            assert httpx.get(f"{sleeve}/lookup?id=1").status_code == 200
            refused = httpx.get(f"{sleeve}/lookup?id=2")
            assert emulator.calls == 2  # the second met Apple's 403
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            assert "rate limiting" in refused.json()["errorMessage"]
            paused = httpx.get(f"{sleeve}/lookup?id=3")  # the window is paused for everyone
            assert paused.status_code == 503
            assert emulator.calls == 2


def test_itunespy_works_through_sleeve_by_its_base_urls(
    itunes: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(itunespy, "base_search_url", f"{itunes.sleeve}/search")
    monkeypatch.setattr(itunespy, "base_lookup_url", f"{itunes.sleeve}/lookup")
    (album,) = itunespy.lookup(upc=UPC)
    assert album.collection_name == "Fictional Frequencies"
    assert album.artwork_url_100.startswith(itunes.sleeve)
    found = itunespy.search_album("sketches")
    assert [a.collection_id for a in found] == [SOLO_SKETCHES_ID]
    assert {r.path for r in itunes.emulator.requests} == {"/lookup", "/search"}


def test_itunes_artwork_is_an_image_source_found_by_the_release_s_barcode(
    discogs,  # type: ignore[no-untyped-def]
    itunes: Running,
) -> None:
    settings = itunes_settings(itunes.upstream)
    settings["images"] |= {"sources": ["itunes"], "require_key": False}  # type: ignore[operator]
    with gateway(discogs.url, **settings) as sleeve:
        image = httpx.get(f"{sleeve}/images/releases/2/0")  # Second Draft, 5012345678917
        assert image.status_code == 200, image.text
        assert Image.open(io.BytesIO(image.content)).size[0] >= 600
        assert itunes.emulator.calls_by_path["/lookup"] == 1
        assert itunes.emulator.artwork_calls == 1
        assert discogs.emulator.image_calls == 0  # the Discogs budget was spared
        nothing = httpx.get(f"{sleeve}/images/releases/5/0")  # no barcode: no iTunes image
        assert nothing.status_code == 404


def test_apple_s_limit_is_kept_by_two_gateways_sharing_their_limits(discogs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two gateways (as two workers: they share only the limits file beside the cache)
    never make Apple see more than its limit in a window, so it never answers 403."""
    emulator = ITunesEmulator(rate_limit=4, window_seconds=60)
    cache = {"path": str(tmp_path / "cache.db")}
    with EmulatorThread(emulator) as url:
        settings = itunes_settings(url, rate_limit=4, window=60, max_wait=0.2, attempts=1)
        with (
            gateway(discogs.url, cache=cache, **settings) as one,
            gateway(discogs.url, cache=cache, **settings) as two,
        ):
            statuses = [
                httpx.get(f"{(one, two)[n % 2]}/lookup?id={n + 1}").status_code for n in range(8)
            ]
    assert statuses.count(200) == 4 and statuses.count(503) == 4, statuses
    assert emulator.calls == 4  # every refusal was sleeve's own, before Apple was asked


def test_minim_s_search_api_works_through_sleeve_by_its_api_url(itunes: Running) -> None:
    import warnings

    with warnings.catch_warnings():  # minim warns that FFmpeg is missing: not needed here
        warnings.simplefilter("ignore")
        from minim.itunes import SearchAPI

    client = SearchAPI()
    client.API_URL = itunes.sleeve  # the one change
    album = client.lookup(upc=int(UPC), entity="song")["results"][0]
    assert album["collectionId"] == FICTIONAL_FREQUENCIES_ID
    found = client.search("sketches", media="music", entity="album")
    assert [r["collectionId"] for r in found["results"]] == [SOLO_SKETCHES_ID]
