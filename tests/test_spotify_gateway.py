"""The Spotify Web API's catalog through sleeve, in front of the Spotify emulator over
real HTTP: sleeve's own token (one grant shared, renewed when refused), a client's own
token passed through privately, URLs pointing at sleeve, Spotify's 429 as a 503, and
spotipy pointed at sleeve by its prefix alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import spotipy

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.spotify import SpotifyEmulator
from sleeve.emulators.spotify_data import (
    FICTIONAL_FREQUENCIES_ID,
    FICTIONAL_FREQUENCIES_TRACK_IDS,
    FICTIONAL_FREQUENCIES_UPC,
    REMASTERED_ID,
    REMASTERED_TRACK_IDS,
    SIGNAL_TEST_ISRC,
)
from tests.servers import gateway


@dataclass(frozen=True)
class Running:
    emulator: SpotifyEmulator
    sleeve: str


def spotify_settings(url: str, **spotify: Any) -> dict[str, Any]:
    return {
        "upstreams": {
            "spotify": {
                "base_url": url,
                "accounts_url": f"{url}/api/token",
                "client_id": "sample-spotify-id",
                "client_secret": "sample-spotify-secret",
                "rate_limit": 1_000_000,
                **spotify,
            }
        }
    }


@pytest.fixture(scope="module")
def spotify(discogs) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    emulator = SpotifyEmulator(rate_limit=1_000_000)
    with EmulatorThread(emulator) as url, gateway(discogs.url, **spotify_settings(url)) as sleeve:
        yield Running(emulator, sleeve)


@pytest.fixture(autouse=True)
def _counted_afresh(request: pytest.FixtureRequest) -> None:
    if "spotify" in request.fixturenames:
        request.getfixturevalue("spotify").emulator.reset()


def test_an_album_with_sleeve_s_token_cached_its_urls_on_sleeve(spotify: Running) -> None:
    url = f"{spotify.sleeve}/v1/albums/{FICTIONAL_FREQUENCIES_ID}"
    first = httpx.get(url)
    assert first.status_code == 200, first.text
    album = first.json()
    assert album["external_ids"]["upc"] == FICTIONAL_FREQUENCIES_UPC
    assert album["href"] == url
    assert album["tracks"]["href"].startswith(f"{spotify.sleeve}/v1/albums/")
    again = httpx.get(url)
    assert again.headers["cache-status"].startswith("sleeve; hit")
    assert spotify.emulator.calls == 1
    assert "sample-spotify-secret" not in first.text


def test_one_token_serves_many_calls_and_a_refused_one_is_renewed(spotify: Running) -> None:
    for track in FICTIONAL_FREQUENCIES_TRACK_IDS[:3]:
        assert httpx.get(f"{spotify.sleeve}/v1/tracks/{track}").status_code == 200
    calls_before = spotify.emulator.token_calls
    spotify.emulator.expire_tokens()  # Spotify now refuses the token sleeve holds
    answer = httpx.get(f"{spotify.sleeve}/v1/tracks/{FICTIONAL_FREQUENCIES_TRACK_IDS[3]}")
    assert answer.status_code == 200, answer.text
    assert spotify.emulator.token_calls == calls_before + 1


def test_a_client_s_own_token_passes_through_and_is_never_shared(spotify: Running) -> None:
    own = spotify.emulator.issue_token()
    url = f"{spotify.sleeve}/v1/artists/{spotify_artist()}"
    for _ in range(2):
        answer = httpx.get(url, headers={"Authorization": f"Bearer {own}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "private, no-store"
    assert spotify.emulator.calls == 2  # never answered from the cache
    shared = httpx.get(url)  # and sleeve's own answer was not the client's
    assert shared.headers["cache-status"].startswith("sleeve; fwd=miss")
    refused = httpx.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert refused.json()["error"]["status"] == 401


def spotify_artist() -> str:
    from sleeve.emulators.spotify_data import ENSEMBLE_ID

    return ENSEMBLE_ID


def test_spotify_s_429_is_a_503_with_retry_after_and_pauses_everyone(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = SpotifyEmulator(rate_limit=1_000_000)
    with EmulatorThread(emulator) as url:
        settings = spotify_settings(url, attempts=1, max_wait=0.5)
        with gateway(discogs.url, **settings) as sleeve:
            emulator.set_mode("ratelimited", times=1)
            answer = httpx.get(f"{sleeve}/v1/markets")
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["retry-after"]) >= 1
            assert "rate limiting" in answer.json()["error"]["message"]
            calls = emulator.calls
            paused = httpx.get(f"{sleeve}/v1/albums/{FICTIONAL_FREQUENCIES_ID}")
            assert paused.status_code == 503  # the window waits out Spotify's Retry-After
            assert emulator.calls == calls


def test_bad_parameters_are_400s_in_spotify_s_shape(spotify: Running) -> None:
    answer = httpx.get(f"{spotify.sleeve}/v1/albums/not-an-id")
    assert answer.status_code == 400
    assert "id" in answer.json()["error"]["message"]
    assert spotify.emulator.calls == 0


def test_without_credentials_sleeve_says_so_in_spotify_s_words(discogs) -> None:  # type: ignore[no-untyped-def]
    emulator = SpotifyEmulator()
    with EmulatorThread(emulator) as url:
        settings = spotify_settings(url, client_id=None, client_secret=None)
        with gateway(discogs.url, **settings) as sleeve:
            answer = httpx.get(f"{sleeve}/v1/markets")
    assert answer.status_code == 401
    assert "upstreams.spotify.client_id" in answer.json()["error"]["message"]
    assert emulator.calls == 0


def test_two_gateways_sharing_a_store_share_one_token(discogs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emulator = SpotifyEmulator(rate_limit=1_000_000)
    cache = {"path": str(tmp_path / "cache.db")}
    with EmulatorThread(emulator) as url:
        settings = spotify_settings(url)
        with gateway(discogs.url, cache=cache, **settings) as one:
            assert httpx.get(f"{one}/v1/markets").status_code == 200
            with gateway(discogs.url, cache=cache, **settings) as two:
                track = FICTIONAL_FREQUENCIES_TRACK_IDS[0]
                assert httpx.get(f"{two}/v1/tracks/{track}").status_code == 200
    assert emulator.token_calls == 1


def test_spotipy_works_through_sleeve_by_its_prefix(spotify: Running) -> None:
    client = spotipy.Spotify(retries=0, requests_timeout=10)  # no auth: sleeve's own token
    client.prefix = f"{spotify.sleeve}/v1/"  # the one change
    assert client.album(FICTIONAL_FREQUENCIES_ID)["name"] == "Fictional Frequencies"
    tracks = client.tracks(list(FICTIONAL_FREQUENCIES_TRACK_IDS[:2]))["tracks"]
    assert [t["id"] for t in tracks] == list(FICTIONAL_FREQUENCIES_TRACK_IDS[:2])
    found = client.search(q=f"upc:{FICTIONAL_FREQUENCIES_UPC}", type="album")
    assert [a["id"] for a in found["albums"]["items"]] == [FICTIONAL_FREQUENCIES_ID]
    by_isrc = client.search(q=f"isrc:{SIGNAL_TEST_ISRC}", type="track")
    assert len(by_isrc["tracks"]["items"]) == 2  # the original and the remaster
    page = client.album_tracks(FICTIONAL_FREQUENCIES_ID, limit=2)
    following = client.next(page)  # a URL on sleeve, as sleeve wrote it
    assert following["offset"] == 2
    assert all(r.path.startswith("/v1/") for r in spotify.emulator.requests)


def test_spotify_s_window_is_kept_by_two_gateways_sharing_their_limits(discogs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emulator = SpotifyEmulator(rate_limit=4, window_seconds=30)
    cache = {"path": str(tmp_path / "cache.db")}
    with EmulatorThread(emulator) as url:
        settings = spotify_settings(url, rate_limit=4, window=30, max_wait=0.2, attempts=1)
        with (
            gateway(discogs.url, cache=cache, **settings) as one,
            gateway(discogs.url, cache=cache, **settings) as two,
        ):
            statuses = [
                httpx.get(f"{(one, two)[n % 2]}/v1/tracks/{track}").status_code
                for n, track in enumerate(
                    FICTIONAL_FREQUENCIES_TRACK_IDS + REMASTERED_TRACK_IDS[:3]
                )
            ]
    assert statuses.count(200) == 4 and statuses.count(503) == 4, statuses
    assert emulator.calls == 4


def test_gateways_sharing_redis_share_one_token(discogs) -> None:  # type: ignore[no-untyped-def]
    """Processes on several hosts, sharing only Redis, make one grant between them."""
    from tests.cache.redis_server import RedisServer

    redis = RedisServer().start()
    emulator = SpotifyEmulator(rate_limit=1_000_000)
    try:
        cache = {"backend": "redis", "redis_url": redis.url, "namespace": "spotify-token-test:"}
        with EmulatorThread(emulator) as url:
            settings = spotify_settings(url)
            with (
                gateway(discogs.url, cache=cache, **settings) as one,
                gateway(discogs.url, cache=cache, **settings) as two,
            ):
                assert httpx.get(f"{one}/v1/markets").status_code == 200
                assert httpx.get(f"{two}/v1/artists/{spotify_artist()}").status_code == 200
        assert emulator.token_calls == 1
    finally:
        redis.kill()


@pytest.mark.parametrize(
    ("path", "what"),
    [
        (f"/v1/albums?ids={FICTIONAL_FREQUENCIES_ID},{REMASTERED_ID}", "albums"),
        (f"/v1/albums/?ids={FICTIONAL_FREQUENCIES_ID}", "albums"),
        (f"/v1/albums/{FICTIONAL_FREQUENCIES_ID}/tracks?limit=2&offset=1", "items"),
        (f"/v1/tracks?ids={FICTIONAL_FREQUENCIES_TRACK_IDS[0]}", "tracks"),
        ("/v1/artists?ids={artist}", "artists"),
        ("/v1/artists/?ids={artist}", "artists"),
        ("/v1/artists/{artist}/albums?include_groups=album&limit=5", "items"),
        ("/v1/artists/{artist}/top-tracks?market=GB", "tracks"),
        (f"/v1/search?q=isrc:{SIGNAL_TEST_ISRC}&type=track&market=GB", "tracks"),
        ("/v1/markets", "markets"),
    ],
)
def test_every_catalog_operation_answers_through_sleeve(
    spotify: Running, path: str, what: str
) -> None:
    url = spotify.sleeve + path.format(artist=spotify_artist())
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert what in answer.json()
    # One call upstream, at Spotify's path; spotipy's slash twin shares its entry.
    asked = [r.path for r in spotify.emulator.requests]
    assert asked in ([], [path.split("?")[0].rstrip("/").format(artist=spotify_artist())])
    assert answer.headers["cache-status"].startswith("sleeve; " + ("fwd=miss" if asked else "hit"))
