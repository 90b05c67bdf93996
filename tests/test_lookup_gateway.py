"""One barcode or ISRC asked of every source, through the gateway in front of the
Discogs, MusicBrainz, iTunes and Spotify emulators: grouped matches, a status per source,
partial answers when a source fails, codes checked before anyone is asked."""

from __future__ import annotations

import time

import httpx

from sleeve.emulators.itunes_data import FICTIONAL_FREQUENCIES_DELUXE_ID, FICTIONAL_FREQUENCIES_ID
from sleeve.emulators.metabrainz_data import DISCOGS_LINKED_RELEASE_MBID
from sleeve.emulators.spotify_data import FICTIONAL_FREQUENCIES_ID as SPOTIFY_FF
from sleeve.emulators.spotify_data import REMASTERED_ID
from sleeve.emulators.tidal_data import FICTIONAL_FREQUENCIES_ALBUM_ID as TIDAL_FF
from tests.conftest import RunningEmulator, RunningITunes, RunningMusicBrainz
from tests.servers import gateway

FF = "5012345678900"


def calls(*emulators: object) -> list[int]:
    return [e.calls for e in emulators]  # type: ignore[attr-defined]


def test_a_barcode_is_one_release_in_every_source(
    gateway_url: str,
    discogs: RunningEmulator,
    musicbrainz: RunningMusicBrainz,
    itunes_upstream: RunningITunes,
) -> None:
    started = time.perf_counter()
    answer = httpx.get(f"{gateway_url}/barcode/{FF}", timeout=60)
    cold = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert {name: s["status"] for name, s in found["sources"].items()} == {
        "discogs": "ok", "musicbrainz": "ok", "itunes": "ok", "spotify": "ok", "tidal": "ok",
    }  # fmt: skip
    (release,) = found["releases"]
    assert {(m["source"], m["id"]) for m in release["matches"]} == {
        ("discogs", "1"),
        ("musicbrainz", DISCOGS_LINKED_RELEASE_MBID),
        ("itunes", str(FICTIONAL_FREQUENCIES_ID)),
        ("spotify", SPOTIFY_FF),
        ("tidal", TIDAL_FF),
    }
    assert (release["title"], release["track_count"], release["year"]) == (
        "Fictional Frequencies", 5, 1998,
    )  # fmt: skip
    assert release["cover"]["url"].startswith(gateway_url)
    assert not release["ambiguous"]
    for match in release["matches"]:
        assert httpx.get(match["url"]).status_code == 200, match  # each is on sleeve
    before = calls(discogs.emulator, musicbrainz.emulator, itunes_upstream.emulator)
    started = time.perf_counter()
    again = httpx.get(f"{gateway_url}/barcode/{FF}")
    warm = time.perf_counter() - started
    assert again.json() == found
    assert calls(discogs.emulator, musicbrainz.emulator, itunes_upstream.emulator) == before
    assert warm < cold  # not a timing bound: the repeat asks nothing upstream
    revalidated = httpx.get(
        f"{gateway_url}/barcode/{FF}", headers={"If-None-Match": again.headers["etag"]}
    )
    assert revalidated.status_code == 304


def test_a_upc_a_is_its_ean_13_and_a_bad_check_digit_asks_no_one(
    gateway_url: str, discogs: RunningEmulator, musicbrainz: RunningMusicBrainz
) -> None:
    bad = httpx.get(f"{gateway_url}/barcode/5012345678901")
    assert bad.status_code == 400
    assert "gtin" in bad.json()["message"] and "check digit" in bad.json()["message"]
    assert calls(discogs.emulator, musicbrainz.emulator) == [0, 0]
    upc = httpx.get(f"{gateway_url}/barcode/023456789015").json()  # Solo Sketches' UPC-A
    assert upc["barcode"] == "0023456789015"
    assert upc["spellings"] == ["0023456789015", "023456789015"]
    sources = {m["source"] for r in upc["releases"] for m in r["matches"]}
    assert {"itunes", "spotify", "tidal"} <= sources  # 12 digits, or 13


def test_one_barcode_two_editions_two_releases(gateway_url: str) -> None:
    found = httpx.get(f"{gateway_url}/barcode/5012345678924").json()  # deluxe and remaster
    groups = [{(m["source"], m["id"]) for m in r["matches"]} for r in found["releases"]]
    assert {("itunes", str(FICTIONAL_FREQUENCIES_DELUXE_ID))} in groups  # 6 tracks
    assert {("spotify", REMASTERED_ID)} in groups  # 5 tracks: another release
    assert found["sources"]["discogs"]["status"] == "none"


def test_a_failing_source_fails_only_itself_and_is_asked_again_next_time(
    gateway_url: str, discogs: RunningEmulator, musicbrainz: RunningMusicBrainz
) -> None:
    # Every attempt at the search fails (three, with retries): not enough to open the
    # breaker, which would rightly keep sleeve from asking again at once.
    musicbrainz.emulator.set_mode("error", status=500, times=3)
    partial = httpx.get(f"{gateway_url}/barcode/{FF}", timeout=60)
    assert partial.status_code == 200, partial.text
    status = partial.json()["sources"]["musicbrainz"]
    assert status["status"] == "failed" and "MusicBrainz" in status["reason"]
    assert partial.json()["sources"]["discogs"]["status"] == "ok"
    discogs_calls = discogs.emulator.calls
    whole = httpx.get(f"{gateway_url}/barcode/{FF}", timeout=60).json()
    assert whole["sources"]["musicbrainz"]["status"] == "ok"
    assert discogs.emulator.calls == discogs_calls  # Discogs' answers were kept


def test_an_isrc_is_one_recording_wherever_it_is(gateway_url: str) -> None:
    answer = httpx.get(f"{gateway_url}/isrc/zz-ph0-98-00002", timeout=60)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["isrc"] == "ZZPH09800002"
    statuses = {name: s["status"] for name, s in found["sources"].items()}
    assert statuses == {
        "discogs": "not supported", "musicbrainz": "ok", "itunes": "not supported", "spotify": "ok",
        "tidal": "ok",
    }  # fmt: skip
    recording = found["recording"]
    assert recording["title"] == "Signal Test"
    sources = [m["source"] for m in recording["matches"]]
    assert sources.count("spotify") == 2  # the original and the remaster
    assert httpx.get(f"{gateway_url}/isrc/ZZPH0980000").status_code == 400


def test_sources_without_credentials_or_upstream_say_so(discogs: RunningEmulator) -> None:
    with gateway(discogs.url) as url:  # MusicBrainz and iTunes on a closed port, no Spotify
        found = httpx.get(f"{url}/barcode/{FF}", timeout=60).json()
    statuses = {name: s["status"] for name, s in found["sources"].items()}
    assert statuses == {
        "discogs": "ok", "musicbrainz": "failed", "itunes": "failed", "spotify": "not configured",
        "tidal": "not configured",
    }  # fmt: skip
    assert [m["source"] for r in found["releases"] for m in r["matches"]] == ["discogs"]
