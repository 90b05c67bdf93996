"""TIDAL's API (v2, JSON:API) through sleeve, in front of the TIDAL emulator over real HTTP:
sleeve's own token (one grant shared, renewed when refused), a client's own token passed
through privately, filters and ``include`` forwarded as TIDAL names them, ``countryCode``
required before anything is asked, links pointing at sleeve, TIDAL's 429 as a 503, and
errors as JSON:API error documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.tidal import JSON_API, TOKEN_PATH, TidalEmulator
from sleeve.emulators.tidal_data import (
    ENSEMBLE_ARTIST_ID,
    FICTIONAL_FREQUENCIES_ALBUM_ID,
    FICTIONAL_FREQUENCIES_BARCODE,
    FICTIONAL_FREQUENCIES_TRACK_IDS,
    SAMPLE_COUNTRY_CODE,
    SIGNAL_TEST_ISRC,
    SIGNAL_TEST_TRACK_ID,
)
from tests.servers import gateway

COUNTRY = {"countryCode": SAMPLE_COUNTRY_CODE}


@dataclass(frozen=True)
class Running:
    emulator: TidalEmulator
    sleeve: str


def tidal_settings(url: str, **tidal: Any) -> dict[str, Any]:
    return {
        "upstreams": {
            "tidal": {
                "base_url": url,
                "accounts_url": f"{url}{TOKEN_PATH}",
                "client_id": "sample-tidal-id",
                "client_secret": "sample-tidal-secret",
                "rate_limit": 1_000_000,
                **tidal,
            }
        }
    }


@pytest.fixture(scope="module")
def tidal(discogs) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None)
    with EmulatorThread(emulator) as url, gateway(discogs.url, **tidal_settings(url)) as sleeve:
        yield Running(emulator, sleeve)


@pytest.fixture(autouse=True)
def _counted_afresh(request: pytest.FixtureRequest) -> None:
    if "tidal" in request.fixturenames:
        request.getfixturevalue("tidal").emulator.reset()


def the_error(answer: httpx.Response, status: int) -> str:
    """The one JSON:API error's ``detail``, after checking the document's shape."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == JSON_API
    (error,) = answer.json()["errors"]
    assert error["status"] == str(status)
    return str(error["detail"])


def test_an_album_by_barcode_with_its_artists_and_items_cached_on_sleeve(tidal: Running) -> None:
    url = f"{tidal.sleeve}/v2/albums"
    query = {
        "filter[barcodeId]": FICTIONAL_FREQUENCIES_BARCODE,
        **COUNTRY,
        "include": "artists,items",
    }
    first = httpx.get(url, params=query)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == JSON_API
    document = first.json()
    (album,) = document["data"]
    assert album["id"] == FICTIONAL_FREQUENCIES_ALBUM_ID
    assert album["attributes"]["barcodeId"] == FICTIONAL_FREQUENCIES_BARCODE
    included = {(item["type"], item["id"]) for item in document["included"]}
    assert ("artists", ENSEMBLE_ARTIST_ID) in included
    assert {("tracks", track) for track in FICTIONAL_FREQUENCIES_TRACK_IDS} <= included
    assert document["links"]["self"].startswith(f"{url}?")
    items = album["relationships"]["items"]["links"]["self"]
    assert items.startswith(f"{url}/{FICTIONAL_FREQUENCIES_ALBUM_ID}/relationships/items")
    again = httpx.get(url, params=query)
    assert again.headers["cache-status"].startswith("sleeve; hit")
    assert tidal.emulator.calls == 1
    (asked,) = tidal.emulator.requests
    assert asked.path == "/v2/albums"
    assert "sample-tidal-secret" not in first.text


def test_a_track_by_isrc_and_the_same_filter_repeated(tidal: Running) -> None:
    url = f"{tidal.sleeve}/v2/tracks"
    answer = httpx.get(url, params={"filter[isrc]": SIGNAL_TEST_ISRC, **COUNTRY})
    assert answer.status_code == 200, answer.text
    (track,) = answer.json()["data"]
    assert track["id"] == SIGNAL_TEST_TRACK_ID
    assert track["attributes"]["isrc"] == SIGNAL_TEST_ISRC
    ids = [("filter[id]", track) for track in FICTIONAL_FREQUENCIES_TRACK_IDS[:2]]
    several = httpx.get(url, params=[*ids, *COUNTRY.items()])  # repeated, as openapi-fetch does
    assert [t["id"] for t in several.json()["data"]] == list(FICTIONAL_FREQUENCIES_TRACK_IDS[:2])


def test_without_country_code_sleeve_answers_400_naming_it_and_asks_nobody(
    tidal: Running,
) -> None:
    answer = httpx.get(f"{tidal.sleeve}/v2/tracks/{SIGNAL_TEST_TRACK_ID}")
    assert "countryCode" in the_error(answer, 400)
    assert tidal.emulator.calls == 0
    assert tidal.emulator.token_calls == 0


def test_bad_parameters_are_400s_in_json_api_shape(tidal: Running) -> None:
    for path, query in [
        ("/v2/albums/not-an-id", COUNTRY),
        ("/v2/tracks", {"filter[isrc]": "not-an-isrc", **COUNTRY}),
        (
            "/v2/albums",
            {"filter[barcodeId]": FICTIONAL_FREQUENCIES_BARCODE, "include": "x", **COUNTRY},
        ),
    ]:
        the_error(httpx.get(f"{tidal.sleeve}{path}", params=query), 400)
    assert tidal.emulator.calls == 0


def test_tidal_s_own_errors_pass_in_its_words(tidal: Running) -> None:
    missing = httpx.get(f"{tidal.sleeve}/v2/artists/999999999", params=COUNTRY)
    assert "not found" in the_error(missing, 404)
    unfiltered = httpx.get(f"{tidal.sleeve}/v2/albums", params=COUNTRY)
    assert "filter" in the_error(unfiltered, 400)


def test_one_token_serves_many_calls_and_a_refused_one_is_renewed(tidal: Running) -> None:
    for track in FICTIONAL_FREQUENCIES_TRACK_IDS[:3]:
        answer = httpx.get(f"{tidal.sleeve}/v2/tracks/{track}", params=COUNTRY)
        assert answer.status_code == 200, answer.text
    calls_before = tidal.emulator.token_calls
    tidal.emulator.expire_tokens()  # TIDAL now refuses the token sleeve holds
    track = FICTIONAL_FREQUENCIES_TRACK_IDS[3]
    answer = httpx.get(f"{tidal.sleeve}/v2/tracks/{track}", params=COUNTRY)
    assert answer.status_code == 200, answer.text
    assert tidal.emulator.token_calls == calls_before + 1


def test_a_client_s_own_token_passes_through_and_is_never_shared(tidal: Running) -> None:
    own = tidal.emulator.tokens.issue(3600)
    url = f"{tidal.sleeve}/v2/artists/{ENSEMBLE_ARTIST_ID}"
    for _ in range(2):
        answer = httpx.get(url, params=COUNTRY, headers={"Authorization": f"Bearer {own}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "private, no-store"
    assert tidal.emulator.calls == 2  # never answered from the cache
    assert tidal.emulator.token_calls == 0  # and sleeve's own token was never needed
    shared = httpx.get(url, params=COUNTRY)  # nor was sleeve's own answer the client's
    assert shared.headers["cache-status"].startswith("sleeve; fwd=miss")
    refused = httpx.get(url, params=COUNTRY, headers={"Authorization": "Bearer not-a-token"})
    assert "not valid" in the_error(refused, 401)


def test_links_point_at_sleeve_and_following_next_stays_there(tidal: Running) -> None:
    tidal.emulator.page_size = 2
    try:
        url = f"{tidal.sleeve}/v2/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}/relationships/items"
        page = httpx.get(url, params=COUNTRY).json()
        assert page["links"]["self"].startswith(f"{url}?")
        following = page["links"]["next"]
        assert following.startswith(f"{url}?")
        second = httpx.get(following)
        assert second.status_code == 200, second.text
        seen = [item["id"] for item in page["data"] + second.json()["data"]]
        assert seen == list(FICTIONAL_FREQUENCIES_TRACK_IDS[:4])
    finally:
        tidal.emulator.page_size = 20
    assert all(r.path.startswith("/v2/") for r in tidal.emulator.requests)


def test_relative_links_as_the_live_service_sends_them_resolve_on_sleeve(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None, absolute_links=False, page_size=2)
    with EmulatorThread(emulator) as url, gateway(discogs.url, **tidal_settings(url)) as sleeve:
        items = f"/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}/relationships/items"
        page = httpx.get(f"{sleeve}/v2{items}", params=COUNTRY).json()
        following = page["links"]["next"]
        assert following.startswith(f"{items}?")  # relative to /v2, as TIDAL sent it
        second = httpx.get(f"{sleeve}/v2{following}")  # as a client of TIDAL's joins it
        assert second.status_code == 200, second.text
        assert [item["id"] for item in second.json()["data"]] == list(
            FICTIONAL_FREQUENCIES_TRACK_IDS[2:4]
        )


def test_tidal_s_429_is_a_503_with_retry_after_and_pauses_everyone(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None)
    with EmulatorThread(emulator) as url:
        settings = tidal_settings(url, attempts=1, max_wait=0.5)
        with gateway(discogs.url, **settings) as sleeve:
            emulator.set_mode("ratelimited", times=1, retry_after=30)
            answer = httpx.get(f"{sleeve}/v2/artists/{ENSEMBLE_ARTIST_ID}", params=COUNTRY)
            assert int(answer.headers["retry-after"]) >= 1
            assert "rate limiting" in the_error(answer, 503)
            calls = emulator.calls
            album = f"{sleeve}/v2/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}"
            paused = httpx.get(album, params=COUNTRY)
            assert paused.status_code == 503  # the window waits out TIDAL's Retry-After
            assert emulator.calls == calls


def test_without_credentials_sleeve_says_so_in_json_api(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None)
    with EmulatorThread(emulator) as url:
        settings = tidal_settings(url, client_id=None, client_secret=None)
        with gateway(discogs.url, **settings) as sleeve:
            answer = httpx.get(f"{sleeve}/v2/artists/{ENSEMBLE_ARTIST_ID}", params=COUNTRY)
    assert "upstreams.tidal.client_id" in the_error(answer, 401)
    assert emulator.calls == 0


def test_refused_client_credentials_are_sleeve_s_problem(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None)
    with EmulatorThread(emulator) as url:
        settings = tidal_settings(url, client_secret="not-the-secret", attempts=1)
        with gateway(discogs.url, **settings) as sleeve:
            answer = httpx.get(f"{sleeve}/v2/artists/{ENSEMBLE_ARTIST_ID}", params=COUNTRY)
    assert "upstreams.tidal.client_id" in the_error(answer, 502)
    assert "not-the-secret" not in answer.text
    assert emulator.calls == 0


def test_two_gateways_sharing_a_store_share_one_token(discogs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emulator = TidalEmulator(rate_limit=None)
    cache = {"path": str(tmp_path / "cache.db")}
    with EmulatorThread(emulator) as url:
        settings = tidal_settings(url)
        with gateway(discogs.url, cache=cache, **settings) as one:
            artist = f"{one}/v2/artists/{ENSEMBLE_ARTIST_ID}"
            assert httpx.get(artist, params=COUNTRY).status_code == 200
            with gateway(discogs.url, cache=cache, **settings) as two:
                track = f"{two}/v2/tracks/{SIGNAL_TEST_TRACK_ID}"
                assert httpx.get(track, params=COUNTRY).status_code == 200
    assert emulator.token_calls == 1
    assert emulator.calls == 2


def test_search_finds_the_tracks_and_points_their_links_at_sleeve(tidal: Running) -> None:
    answer = httpx.get(
        f"{tidal.sleeve}/v2/searchResults",
        params={"filter[query]": "signal test", **COUNTRY, "include": "tracks"},
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()
    (result,) = document["data"]
    hits = result["relationships"]["tracks"]
    assert {"id": SIGNAL_TEST_TRACK_ID, "type": "tracks"} in hits["data"]
    assert hits["links"]["self"].startswith(f"{tidal.sleeve}/v2/searchResults/")
    assert SIGNAL_TEST_TRACK_ID in {item["id"] for item in document["included"]}


def test_tidal_s_window_is_kept_by_two_gateways_sharing_their_limits(discogs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """TIDAL's real limit (2 calls in 10 s) on the emulator and sleeve's default: two
    gateways sharing their limits never make it answer 429."""
    emulator = TidalEmulator()  # TIDAL's own 2 per 10 s
    cache = {"path": str(tmp_path / "cache.db")}
    with EmulatorThread(emulator) as url:
        settings = tidal_settings(url, rate_limit=2, window=10, max_wait=0.2, attempts=1)
        with (
            gateway(discogs.url, cache=cache, **settings) as one,
            gateway(discogs.url, cache=cache, **settings) as two,
        ):
            statuses = [
                httpx.get(f"{(one, two)[n % 2]}/v2/tracks/{track}", params=COUNTRY).status_code
                for n, track in enumerate(FICTIONAL_FREQUENCIES_TRACK_IDS[:4])
            ]
    assert statuses == [200, 200, 503, 503], statuses
    assert emulator.calls == 2  # and never a 429
