"""Checks of the iTunes Search API emulator itself, over real HTTP and without the gateway:
lookups by id and UPC, search, Apple's 403 past the limit, artwork bytes, call counts."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from sleeve.emulators import itunes_data as data
from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.discogs_data import handwritten_release_specs
from sleeve.emulators.itunes import ITunesEmulator
from sleeve.emulators.metabrainz_sample import RECORDINGS

Served = tuple[ITunesEmulator, httpx.Client]


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ITunesEmulator, str]]:
    emulator = ITunesEmulator(rate_limit=1_000)
    with EmulatorThread(emulator) as url:
        yield emulator, url


@pytest.fixture
def itunes(running: tuple[ITunesEmulator, str]) -> Iterator[Served]:
    emulator, url = running
    emulator.reset()
    with httpx.Client(base_url=url, timeout=5) as client:
        yield emulator, client


def results(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    body = response.json()
    assert body["resultCount"] == len(body["results"])
    return body["results"]


def test_lookup_album_with_songs(itunes: Served):
    emulator, client = itunes
    base = str(client.base_url).rstrip("/")
    album, *tracks = results(
        client.get("/lookup", params={"id": data.FICTIONAL_FREQUENCIES_ID, "entity": "song"})
    )
    assert album["wrapperType"] == "collection" and album["collectionType"] == "Album"
    assert album["artistName"] == "The Example Ensemble"
    assert album["artistId"] == data.EXAMPLE_ENSEMBLE_ID
    assert album["releaseDate"] == "1998-03-12T08:00:00Z"
    assert (album["trackCount"], album["country"], album["currency"]) == (5, "USA", "USD")
    art = f"{base}/image/thumb/Music/{data.FICTIONAL_FREQUENCIES_ID}/source/100x100bb.jpg"
    assert album["artworkUrl100"] == art
    assert [(t["trackNumber"], t["trackName"], t["trackTimeMillis"]) for t in tracks] == [
        (n, name, millis)
        for n, (name, millis) in enumerate(data.FICTIONAL_FREQUENCIES_TRACKS, start=1)
    ]
    assert {(t["wrapperType"], t["kind"], t["collectionId"]) for t in tracks} == {
        ("track", "song", data.FICTIONAL_FREQUENCIES_ID)
    }
    assert tracks[0]["trackViewUrl"].startswith("https://music.apple.com/us/album/")
    assert tracks[0]["artworkUrl30"].endswith("/30x30bb.jpg")
    unknown = client.get("/lookup", params={"id": "1"})
    assert unknown.json() == {"resultCount": 0, "results": []}
    assert emulator.calls == 2 and emulator.calls_by_path["/lookup"] == 2


def test_lookup_by_upc_takes_12_or_13_digits(itunes: Served):
    _, client = itunes

    def names(upc: str) -> list[str]:
        return [r["collectionName"] for r in results(client.get("/lookup", params={"upc": upc}))]

    assert names(data.FICTIONAL_FREQUENCIES_UPC) == ["Fictional Frequencies"]
    assert len(data.SOLO_SKETCHES_UPC) == 12
    assert names(data.SOLO_SKETCHES_UPC) == names("0" + data.SOLO_SKETCHES_UPC) == ["Solo Sketches"]
    both = f"{data.FICTIONAL_FREQUENCIES_DELUXE_UPC},{data.SECOND_DRAFT_UPC}"
    assert names(both) == ["Fictional Frequencies (Deluxe Edition)", "Second Draft"]
    assert names("5012345678931") == []


def test_search(itunes: Served):
    _, client = itunes

    def search(**params: str | int) -> list[dict]:
        return results(client.get("/search", params=params))

    artists = search(term="placeholder", media="music", entity="musicArtist")
    assert [(a["wrapperType"], a["artistName"]) for a in artists] == [
        ("artist", "Jane Placeholder")
    ]
    albums = search(term="FICTIONAL", entity="album")
    assert [a["collectionId"] for a in albums] == [
        data.FICTIONAL_FREQUENCIES_ID,
        data.FICTIONAL_FREQUENCIES_DELUXE_ID,
    ]
    songs = search(term="signal test", media="music", entity="song", attribute="songTerm")
    assert [s["trackName"] for s in songs] == ["Signal Test", "Signal Test", "Signal Test (Live)"]
    assert len(search(term="example ensemble", limit=2)) == 2
    missing = client.get("/search", params={"media": "music"})
    assert missing.status_code == 400
    assert missing.json()["errorMessage"] == "Invalid value(s) for key(s): [term]"
    assert "queryParameters" in missing.json()


def test_artwork_is_a_jpeg_of_the_asked_size(itunes: Served):
    emulator, client = itunes
    url = emulator.artwork_url(str(client.base_url), data.SOLO_SKETCHES_ID)
    response = client.get(url.replace("100x100bb", "600x600bb"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("JPEG", (600, 600))
    assert client.get(url.replace(f"/{data.SOLO_SKETCHES_ID}/", "/1/")).status_code == 404
    assert (emulator.artwork_calls, emulator.calls) == (2, 0)


def test_past_the_limit_apple_answers_403():
    emulator = ITunesEmulator(rate_limit=3)
    with EmulatorThread(emulator) as url, httpx.Client(base_url=url) as client:
        params = {"id": data.SECOND_DRAFT_ID}
        statuses = [client.get("/lookup", params=params).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 403]
        refused = client.get("/search", params={"term": "draft"})
        assert refused.status_code == 403 and "Retry-After" not in refused.headers
        assert emulator.calls == 5
        assert emulator.calls_by_path == {"/lookup": 4, "/search": 1}
        emulator.reset()
        control = client.post("/_emulator/mode", json={"mode": "error", "times": 1})
        assert control.json() == {"mode": "error"}
        assert client.get("/lookup", params=params).status_code == 503
        assert client.get("/lookup", params=params).status_code == 200
        assert client.get("/_emulator/calls").json()["calls"] == 2


def test_the_sample_data_tells_the_other_emulators_story():
    for upc in data.UPCS:
        assert data.is_valid_gtin(upc), upc
    discogs = {spec.id: spec.barcode for spec in handwritten_release_specs()}
    assert (discogs[1], discogs[2]) == (data.FICTIONAL_FREQUENCIES_UPC, data.SECOND_DRAFT_UPC)
    lengths = dict(RECORDINGS["ensemble"] + RECORDINGS["jane"])
    for rows in (
        data.FICTIONAL_FREQUENCIES_TRACKS,
        data.SECOND_DRAFT_TRACKS,
        data.SOLO_SKETCHES_TRACKS,
    ):
        assert all(lengths[name] == millis for name, millis in rows)
    catalogue = data.build_catalogue()
    ff = catalogue.albums[data.FICTIONAL_FREQUENCIES_ID]
    deluxe = catalogue.albums[data.FICTIONAL_FREQUENCIES_DELUXE_ID]
    assert tuple(t.isrc for t in ff.tracks) == data.FICTIONAL_FREQUENCIES_ISRCS
    assert [t.isrc for t in deluxe.tracks][:5] == list(data.FICTIONAL_FREQUENCIES_ISRCS)
    assert len(deluxe.tracks) == 6 and deluxe.tracks[-1].name == "Signal Test (Live)"
