"""MusicBrainz' own client libraries, changed only in their host, work through sleeve.

musicbrainzngs speaks XML (``inc=a+b`` as a form-encoded space, searches and browses on
the trailing-slash paths); beets 2.14 speaks JSON (``inc=a%2Bb``, a long include list).
The emulator behind sleeve counts what reaches it, so every test also proves what sleeve
forwarded, with its own User-Agent, and that a repeat never left sleeve.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sleeve.emulators.metabrainz_data import (
    ARTIST_MBID,
    DISCOGS_LINKED_RELEASE_ID,
    DISCOGS_LINKED_RELEASE_MBID,
    LABEL_MBID,
    PAGING_ARTIST_MBID,
    PAGING_RELEASE_COUNT,
    RECORDING_ISRC,
    RECORDING_MBID,
    WORK_MBID,
)
from tests.client_libraries import optional, require
from tests.conftest import RunningMusicBrainz

musicbrainzngs = optional("musicbrainzngs")  # its tests' fixture requires it

RELEASE_PATH = f"/ws/2/release/{DISCOGS_LINKED_RELEASE_MBID}"
NGS_RELEASE_INCLUDES = [
    "recordings", "artists", "labels", "release-groups", "url-rels", "media", "artist-credits",
]  # fmt: skip


def forwarded(musicbrainz: RunningMusicBrainz, path: str) -> list[dict[str, list[str]]]:
    """The query strings sleeve sent upstream for ``path``, parsed."""
    return [
        parse_qs(urlsplit(request.path_qs).query)
        for request in musicbrainz.emulator.requests
        if request.path == path
    ]


def assert_all_from_sleeve(musicbrainz: RunningMusicBrainz) -> None:
    agents = {request.headers.get("User-Agent", "") for request in musicbrainz.emulator.requests}
    assert agents and all(agent.startswith("sleeve/") for agent in agents), agents


# --- musicbrainzngs (XML) ------------------------------------------------------------------


@pytest.fixture
def ngs(gateway_url: str) -> Iterator[None]:
    require("musicbrainzngs")
    musicbrainzngs.set_useragent("SleeveGatewayTests", "1.0", "https://sleeve.test")
    musicbrainzngs.set_hostname(gateway_url.removeprefix("http://"), use_https=False)
    musicbrainzngs.set_rate_limit(False)
    yield
    musicbrainzngs.set_hostname("musicbrainz.org", use_https=True)
    musicbrainzngs.set_rate_limit(True)


def test_musicbrainzngs_release_lookup_with_includes_and_its_cached_repeat(
    ngs: None, gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    release = musicbrainzngs.get_release_by_id(DISCOGS_LINKED_RELEASE_MBID, NGS_RELEASE_INCLUDES)
    release = release["release"]
    assert release["title"] == "Fictional Frequencies"
    assert release["artist-credit-phrase"] == "The Example Ensemble"
    assert release["label-info-list"][0]["catalog-number"] == "PH-001"
    assert release["release-group"]["primary-type"] == "Album"
    tracks = release["medium-list"][0]["track-list"]
    assert tracks[1]["recording"]["title"] == "Signal Test"
    (discogs,) = release["url-relation-list"]
    assert discogs["target"] == f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
    (sent,) = forwarded(musicbrainz, RELEASE_PATH)
    assert sent["fmt"] == ["xml"]
    assert sent["inc"] == ["+".join(sorted(NGS_RELEASE_INCLUDES))]  # normalised, then sent

    again = musicbrainzngs.get_release_by_id(DISCOGS_LINKED_RELEASE_MBID, NGS_RELEASE_INCLUDES)
    assert again["release"] == release
    assert musicbrainz.emulator.calls_by_path[RELEASE_PATH] == 1  # the repeat stayed in sleeve

    # The same request as raw HTTP: musicbrainzngs' form-encoded ``inc`` (spaces as ``+``).
    raw = httpx.get(f"{gateway_url}{RELEASE_PATH}?inc=" + "+".join(reversed(NGS_RELEASE_INCLUDES)))
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/xml")
    assert "hit" in raw.headers["cache-status"].split(";")[1]
    assert musicbrainz.emulator.calls == 1
    assert_all_from_sleeve(musicbrainz)


def test_musicbrainzngs_other_lookups(ngs: None, musicbrainz: RunningMusicBrainz) -> None:
    artist = musicbrainzngs.get_artist_by_id(ARTIST_MBID, ["aliases", "tags", "url-rels"])
    assert artist["artist"]["name"] == "The Example Ensemble"
    assert artist["artist"]["alias-list"][0]["alias"] == "The Examples"
    recording = musicbrainzngs.get_recording_by_id(RECORDING_MBID, ["isrcs"])["recording"]
    assert recording["title"] == "Signal Test"
    assert recording["isrc-list"] == [RECORDING_ISRC]
    label = musicbrainzngs.get_label_by_id(LABEL_MBID)["label"]
    assert label["name"] == "Placeholder Records" and label["label-code"] == "99901"
    work = musicbrainzngs.get_work_by_id(WORK_MBID, ["artist-rels"])["work"]
    assert {r["type"] for r in work["artist-relation-list"]} == {"composer", "lyricist"}
    assert musicbrainz.emulator.calls == 4
    for path in (f"/ws/2/artist/{ARTIST_MBID}", f"/ws/2/recording/{RECORDING_MBID}"):
        assert musicbrainz.emulator.calls_by_path[path] == 1
    assert_all_from_sleeve(musicbrainz)


def test_musicbrainzngs_browse_and_search(ngs: None, musicbrainz: RunningMusicBrainz) -> None:
    page = musicbrainzngs.browse_releases(artist=PAGING_ARTIST_MBID, limit=10, offset=20)
    assert page["release-count"] == PAGING_RELEASE_COUNT
    assert len(page["release-list"]) == 10
    (sent,) = forwarded(musicbrainz, "/ws/2/release")
    assert sent == {
        "artist": [PAGING_ARTIST_MBID],
        "limit": ["10"],
        "offset": ["20"],
        "fmt": ["xml"],
    }
    found = musicbrainzngs.search_releases("Fictional Frequencies", limit=5)
    assert found["release-count"] == 2
    assert {r["title"] for r in found["release-list"]} == {"Fictional Frequencies"}
    artists = musicbrainzngs.search_artists(artist="jane placeholder")
    assert artists["artist-list"][0]["name"] == "Jane Placeholder"
    assert musicbrainz.emulator.calls == 3
    # Every one of them again: all from sleeve's cache.
    assert musicbrainzngs.browse_releases(artist=PAGING_ARTIST_MBID, limit=10, offset=20) == page
    again = musicbrainzngs.search_releases("Fictional Frequencies", limit=5)
    assert again["release-list"] == found["release-list"]
    assert musicbrainzngs.search_artists(artist="jane placeholder") == artists
    assert musicbrainz.emulator.calls == 3


def test_musicbrainzngs_sees_musicbrainz_errors(ngs: None, musicbrainz: RunningMusicBrainz) -> None:
    with pytest.raises(musicbrainzngs.ResponseError) as error:
        musicbrainzngs.get_release_by_id("00000000-0000-0000-0000-000000000000")
    assert error.value.cause.code == 404
    error.value.cause.close()  # urllib's HTTPError holds the socket until closed
    assert musicbrainz.emulator.calls == 1


# --- beets 2.14 (JSON) ---------------------------------------------------------------------


@pytest.fixture
def beets_api(
    gateway_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """beets' MusicBrainz client pointed at sleeve, with a config directory of its own."""
    monkeypatch.setenv("BEETSDIR", str(tmp_path / "beets"))
    beets = require("beets")
    musicbrainz_api = require("beetsplug._utils.musicbrainz", "beets")
    beets.config.clear()
    beets.config.read(user=False, defaults=True)
    settings = beets.config["musicbrainz"]
    settings["host"] = gateway_url.removeprefix("http://")
    settings["https"] = False
    settings["ratelimit"] = 1000
    settings["ratelimit_interval"] = 1
    api = musicbrainz_api.MusicBrainzAPI()
    assert api.api_root == f"{gateway_url}/ws/2"
    yield api
    beets.config.clear()


def test_beets_release_lookup_and_search(
    beets_api: object, musicbrainz: RunningMusicBrainz
) -> None:
    from beetsplug._utils.musicbrainz import RELEASE_INCLUDES, MusicBrainzAPI

    assert isinstance(beets_api, MusicBrainzAPI)
    release = beets_api.get_release(DISCOGS_LINKED_RELEASE_MBID)
    assert release["id"] == DISCOGS_LINKED_RELEASE_MBID
    assert release["title"] == "Fictional Frequencies"
    assert release["artist_credit"][0]["artist"]["id"] == ARTIST_MBID
    assert release["label_info"][0]["catalog_number"] == "PH-001"
    tracks = release["media"][0]["tracks"]
    assert tracks[1]["recording"]["title"] == "Signal Test"
    discogs = [r for r in release["url_relations"] if r["type"] == "discogs"]
    assert discogs[0]["url"]["resource"].endswith(f"/release/{DISCOGS_LINKED_RELEASE_ID}")
    (sent,) = forwarded(musicbrainz, RELEASE_PATH)
    assert sent["fmt"] == ["json"]
    assert sent["inc"] == ["+".join(sorted(RELEASE_INCLUDES))]

    found = beets_api.search("release", {"release": "fictional frequencies"}, limit=5)
    assert found and {hit["title"] for hit in found} == {"Fictional Frequencies"}
    assert musicbrainz.emulator.calls_by_path["/ws/2/release"] == 1

    assert beets_api.get_release(DISCOGS_LINKED_RELEASE_MBID) == release
    assert beets_api.search("release", {"release": "fictional frequencies"}, limit=5) == found
    assert musicbrainz.emulator.calls == 2  # both repeats answered by sleeve
    assert_all_from_sleeve(musicbrainz)
