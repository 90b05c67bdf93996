"""Checks of the Spotify emulator itself, over real HTTP (no gateway): the client-credentials
token endpoint, lookups, several ids with a gap, search filters, refusals (401, 429) and
following a paging object's absolute ``next`` links."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.spotify import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SpotifyEmulator
from sleeve.emulators.spotify_data import (
    FICTIONAL_FREQUENCIES_ID,
    FICTIONAL_FREQUENCIES_TRACK_IDS,
    FICTIONAL_FREQUENCIES_TRACKS,
    FICTIONAL_FREQUENCIES_UPC,
    REMASTERED_ID,
    SIGNAL_TEST_ID,
    SIGNAL_TEST_ISRC,
    SIGNAL_TEST_REMASTERED_ID,
)

UNKNOWN_ID = "0000000000000000000000"  # well-formed, names nothing


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SpotifyEmulator, str]]:
    emulator = SpotifyEmulator()
    with EmulatorThread(emulator) as base_url:
        yield emulator, base_url


@pytest.fixture
def spotify(served: tuple[SpotifyEmulator, str]) -> Iterator[tuple[SpotifyEmulator, httpx.Client]]:
    """The shared emulator, counters reset, and a client already holding a fresh token."""
    emulator, base_url = served
    emulator.reset()
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with httpx.Client(base_url=base_url, headers=headers) as client:
        yield emulator, client


def error(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def test_token_with_basic_auth_and_a_wrong_secret(served: tuple[SpotifyEmulator, str]):
    emulator, base_url = served
    emulator.reset()
    form = {"grant_type": "client_credentials"}
    with httpx.Client(base_url=base_url) as client:
        granted = client.post(
            "/api/token", data=form, auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        )
        assert granted.status_code == 200
        body = granted.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert set(body) == {"access_token", "token_type", "expires_in"}
        markets = client.get(
            "/v1/markets", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert markets.status_code == 200 and "GB" in markets.json()["markets"]

        refused = client.post("/api/token", data=form, auth=(DEFAULT_CLIENT_ID, "wrong"))
        assert refused.status_code == 400
        assert refused.json() == {"error": "invalid_client", "error_description": "Invalid client"}
        in_form = form | {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}
        assert client.post("/api/token", data=in_form).status_code == 200
        other = client.post(
            "/api/token",
            data={"grant_type": "password"},
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )
        assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"
    assert emulator.token_calls == 4
    assert emulator.calls == 1  # the token endpoint is counted apart


def test_album_by_id(spotify: tuple[SpotifyEmulator, httpx.Client]):
    emulator, client = spotify
    base_url = str(client.base_url).rstrip("/")
    response = client.get(f"/v1/albums/{FICTIONAL_FREQUENCIES_ID}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    album = response.json()
    assert album["href"] == f"{base_url}/v1/albums/{FICTIONAL_FREQUENCIES_ID}"
    assert album["uri"] == f"spotify:album:{FICTIONAL_FREQUENCIES_ID}"
    assert (album["name"], album["release_date"], album["release_date_precision"]) == (
        "Fictional Frequencies",
        "1998-03-12",
        "day",
    )
    assert album["external_ids"] == {"upc": FICTIONAL_FREQUENCIES_UPC}
    assert album["label"] == "Placeholder Records" and album["total_tracks"] == 5
    assert [a["name"] for a in album["artists"]] == ["The Example Ensemble"]
    tracks = album["tracks"]
    assert (tracks["total"], tracks["limit"], tracks["next"]) == (5, 50, None)
    assert [(t["name"], t["duration_ms"]) for t in tracks["items"]] == [
        (name, length) for name, length, _ in FICTIONAL_FREQUENCIES_TRACKS
    ]
    assert [t["id"] for t in tracks["items"]] == list(FICTIONAL_FREQUENCIES_TRACK_IDS)
    assert [(i["width"], i["height"]) for i in album["images"]] == [
        (640, 640),
        (300, 300),
        (64, 64),
    ]
    image = httpx.get(album["images"][1]["url"])  # public, like i.scdn.co: no token needed
    assert image.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as picture:
        assert picture.size == (300, 300)

    missing = client.get(f"/v1/albums/{UNKNOWN_ID}")
    assert (missing.status_code, missing.json()) == (404, error(404, "Resource not found"))
    malformed = client.get("/v1/albums/not-an-id")
    assert (malformed.status_code, malformed.json()) == (400, error(400, "invalid id"))
    assert emulator.calls_by_path[f"/v1/albums/{FICTIONAL_FREQUENCIES_ID}"] == 1


def test_several_tracks_with_an_unknown_one(spotify: tuple[SpotifyEmulator, httpx.Client]):
    _, client = spotify
    for path in ("/v1/tracks", "/v1/tracks/"):  # spotipy asks /v1/tracks/?ids=
        response = client.get(path, params={"ids": f"{SIGNAL_TEST_ID},{UNKNOWN_ID}"})
        assert response.status_code == 200
        signal, unknown = response.json()["tracks"]
        assert unknown is None
        assert signal["external_ids"] == {"isrc": SIGNAL_TEST_ISRC}
        assert signal["album"]["id"] == FICTIONAL_FREQUENCIES_ID
        assert "tracks" not in signal["album"]  # the simplified album
    too_many = client.get("/v1/tracks", params={"ids": ",".join([SIGNAL_TEST_ID] * 51)})
    assert too_many.status_code == 400


def test_search_by_upc_and_by_isrc(spotify: tuple[SpotifyEmulator, httpx.Client]):
    _, client = spotify
    by_upc = client.get(
        "/v1/search", params={"q": f"upc:{FICTIONAL_FREQUENCIES_UPC}", "type": "album"}
    )
    assert by_upc.status_code == 200
    albums = by_upc.json()["albums"]
    assert albums["total"] == 1 and albums["items"][0]["id"] == FICTIONAL_FREQUENCIES_ID

    by_isrc = client.get(
        "/v1/search", params={"q": f"isrc:{SIGNAL_TEST_ISRC}", "type": "track", "market": "GB"}
    )
    tracks = by_isrc.json()["tracks"]
    assert tracks["total"] == 2
    assert [t["id"] for t in tracks["items"]] == [SIGNAL_TEST_ID, SIGNAL_TEST_REMASTERED_ID]
    assert {t["album"]["id"] for t in tracks["items"]} == {FICTIONAL_FREQUENCIES_ID, REMASTERED_ID}
    assert all(t["is_playable"] and "available_markets" not in t for t in tracks["items"])

    nothing = client.get("/v1/search", params={"q": "upc:5012345678901", "type": "album"})
    assert nothing.json()["albums"]["total"] == 0
    no_query = client.get("/v1/search", params={"type": "album"})
    assert no_query.json() == error(400, "No search query")


def test_refused_without_a_token_and_with_an_expired_one(served: tuple[SpotifyEmulator, str]):
    emulator, base_url = served
    emulator.reset()
    token = emulator.issue_token()
    path = f"/v1/tracks/{SIGNAL_TEST_ID}"
    with httpx.Client(base_url=base_url) as client:
        anonymous = client.get(path)
        assert (anonymous.status_code, anonymous.json()) == (401, error(401, "No token provided"))
        assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        emulator.expire_tokens()
        expired = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert (expired.status_code, expired.json()) == (
            401,
            error(401, "The access token expired"),
        )
        invented = client.get(path, headers={"Authorization": "Bearer not-issued"})
        assert invented.json() == error(401, "Invalid access token")
        fresh = emulator.issue_token()  # what a client does next: fetch another
        assert client.get(path, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_too_many_requests_gives_429_with_retry_after():
    emulator = SpotifyEmulator(rate_limit=2, window_seconds=30.0)
    with EmulatorThread(emulator) as base_url:
        headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
        with httpx.Client(base_url=base_url, headers=headers) as client:
            answers = [client.get("/v1/markets") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == error(429, "API rate limit exceeded")
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 30


def test_album_tracks_paging_follows_next(spotify: tuple[SpotifyEmulator, httpx.Client]):
    _, client = spotify
    base_url = str(client.base_url).rstrip("/")
    page = client.get(f"/v1/albums/{FICTIONAL_FREQUENCIES_ID}/tracks", params={"limit": 2}).json()
    assert page["next"] == (
        f"{base_url}/v1/albums/{FICTIONAL_FREQUENCIES_ID}/tracks?offset=2&limit=2"
    )
    names, pages = [], []
    while True:
        pages.append(page)
        names += [t["name"] for t in page["items"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()  # absolute, on the emulator itself
    assert names == [name for name, _, _ in FICTIONAL_FREQUENCIES_TRACKS]
    assert [(p["offset"], p["total"]) for p in pages] == [(0, 5), (2, 5), (4, 5)]
    assert pages[0]["previous"] is None and pages[2]["previous"].endswith("offset=2&limit=2")
    assert client.get(
        f"/v1/albums/{FICTIONAL_FREQUENCIES_ID}/tracks", params={"limit": 51}
    ).json() == error(400, "Invalid limit")
