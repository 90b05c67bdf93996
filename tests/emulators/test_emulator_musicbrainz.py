"""Checks of the MusicBrainz emulator itself, over real HTTP.

Two kinds of client: httpx for status codes, headers and JSON shapes, and musicbrainzngs
(the reference client, XML by default) to prove the XML parses the way real answers do.
musicbrainzngs blocks, so it talks to an emulator running in its own thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.discogs_data import build_catalogue as build_discogs_catalogue
from sleeve.emulators.metabrainz_data import (
    ARTIST_MBID,
    DISCOGS_LINKED_MASTER_ID,
    DISCOGS_LINKED_RELEASE_GROUP_MBID,
    DISCOGS_LINKED_RELEASE_ID,
    DISCOGS_LINKED_RELEASE_MBID,
    DISCOGS_UNLINKED_RELEASE_ID,
    EVENT_MBID,
    INSTRUMENT_MBID,
    LABEL_MBID,
    PAGING_ARTIST_MBID,
    PAGING_RELEASE_COUNT,
    PLACE_MBID,
    RECORDING_ISRC,
    RECORDING_MBID,
    SERIES_MBID,
    WORK_MBID,
    build_catalogue,
    linked_discogs_ids,
)
from sleeve.emulators.musicbrainz import RATE_LIMITED, MusicBrainzEmulator
from sleeve.emulators.musicbrainz_includes import parse_includes
from sleeve.emulators.musicbrainz_search import parse_query
from tests.client_libraries import optional, require

musicbrainzngs = optional("musicbrainzngs")  # the tests that use it require it

UA = "SleeveEmulatorTests/1.0 ( https://sleeve.test )"
HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
BEETS_RELEASE_INCLUDES = [
    "artists",
    "media",
    "recordings",
    "release-groups",
    "labels",
    "artist-credits",
    "aliases",
    "recording-level-rels",
    "work-rels",
    "work-level-rels",
    "artist-rels",
    "isrcs",
    "url-rels",
    "release-rels",
    "genres",
    "tags",
]


@pytest.fixture
async def mb() -> AsyncIterator[tuple[MusicBrainzEmulator, httpx.AsyncClient]]:
    emulator = MusicBrainzEmulator(rate_limit=1000)
    async with (
        emulator.serve() as base_url,
        httpx.AsyncClient(base_url=base_url + "/ws/2", headers={"User-Agent": UA}) as client,
    ):
        yield emulator, client


async def get_json(client: httpx.AsyncClient, path: str, **params: str) -> tuple[int, dict]:
    response = await client.get(path, params={"fmt": "json", **params})
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.status_code, response.json()


# --- JSON shapes --------------------------------------------------------------------------


async def test_release_lookup_with_includes(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    inc = "artists+labels+recordings+release-groups+url-rels+media+isrcs"
    status, release = await get_json(client, f"release/{DISCOGS_LINKED_RELEASE_MBID}", inc=inc)
    assert status == 200
    assert release["artist-credit"][0]["artist"]["id"] == ARTIST_MBID
    assert release["label-info"][0] == {
        "catalog-number": "PH-001",
        "label": release["label-info"][0]["label"] | {"id": LABEL_MBID},
    }
    assert release["release-group"]["id"] == DISCOGS_LINKED_RELEASE_GROUP_MBID
    assert release["cover-art-archive"] == {
        "artwork": True,
        "count": 3,
        "front": True,
        "back": True,
        "darkened": False,
    }
    (medium,) = release["media"]
    assert medium["track-count"] == len(medium["tracks"]) == 5
    assert medium["tracks"][1]["recording"]["id"] == RECORDING_MBID
    assert medium["tracks"][1]["recording"]["isrcs"] == [RECORDING_ISRC]
    (discogs,) = [r for r in release["relations"] if r["type"] == "discogs"]
    assert discogs["target-type"] == "url"
    assert (
        discogs["url"]["resource"] == f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
    )


async def test_bare_lookups_leave_includes_out(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    _, release = await get_json(client, f"release/{DISCOGS_LINKED_RELEASE_MBID}")
    assert not {"artist-credit", "media", "relations", "label-info"} & release.keys()
    _, media_only = await get_json(client, f"release/{DISCOGS_LINKED_RELEASE_MBID}", inc="media")
    assert "tracks" not in media_only["media"][0]
    _, artist = await get_json(client, f"artist/{ARTIST_MBID}", inc="aliases+tags+ratings")
    assert artist["type"] == "Group" and artist["life-span"]["begin"] == "1995"
    assert artist["aliases"][0]["name"] == "The Examples"
    assert artist["rating"] == {"value": 4.5, "votes-count": 6}


async def test_beets_release_includes_are_accepted(
    mb: tuple[MusicBrainzEmulator, httpx.AsyncClient],
):
    """beets joins with a literal "+", which httpx/requests send as %2B."""
    _, client = mb
    inc = "+".join(BEETS_RELEASE_INCLUDES)
    status, release = await get_json(client, f"release/{DISCOGS_LINKED_RELEASE_MBID}", inc=inc)
    assert status == 200
    recording = release["media"][0]["tracks"][1]["recording"]
    (work_rel,) = [r for r in recording["relations"] if r["target-type"] == "work"]
    assert work_rel["work"]["id"] == WORK_MBID
    assert {r["type"] for r in work_rel["work"]["relations"]} == {"composer", "lyricist"}


@pytest.mark.parametrize(
    ("kind", "entity_id", "inc"),
    [
        ("recording", RECORDING_MBID, "isrcs+artist-credits+releases+work-rels"),
        ("label", LABEL_MBID, "releases+url-rels+aliases"),
        ("work", WORK_MBID, "artist-rels+recording-rels"),
        ("release-group", DISCOGS_LINKED_RELEASE_GROUP_MBID, "releases+artist-credits+url-rels"),
        ("place", PLACE_MBID, "event-rels+recording-rels"),
        ("event", EVENT_MBID, "place-rels+artist-rels"),
        ("instrument", INSTRUMENT_MBID, "url-rels"),
        ("series", SERIES_MBID, "release-group-rels"),
    ],
)
async def test_other_lookups(
    mb: tuple[MusicBrainzEmulator, httpx.AsyncClient], kind: str, entity_id: str, inc: str
):
    _, client = mb
    status, doc = await get_json(client, f"{kind}/{entity_id}", inc=inc)
    assert status == 200 and doc["id"] == entity_id
    if "-rels" in inc:
        assert doc["relations"], f"{kind} should have relations for {inc}"


async def test_errors_have_musicbrainz_shapes(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    require("musicbrainzngs")  # reads the XML errors as the reference client does
    _, client = mb
    status, body = await get_json(client, f"artist/{ARTIST_MBID}", inc="foobar")
    assert (status, body) == (
        400,
        {"error": "foobar is not a valid inc parameter for the artist resource.", "help": HELP},
    )
    status, body = await get_json(client, "artist/not-an-mbid")
    assert (status, body["error"]) == (400, "Invalid mbid.")
    status, body = await get_json(client, "artist/00000000-0000-0000-0000-000000000000")
    assert (status, body["error"]) == (404, "Not Found")
    response = await client.get(f"release/{DISCOGS_LINKED_RELEASE_MBID}", params={"inc": "works"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert musicbrainzngs.mbxml.get_error_message(response.content) == [
        "works is not a valid inc parameter for the release resource.",
        HELP,
    ]


async def test_representation_follows_fmt_then_accept(
    mb: tuple[MusicBrainzEmulator, httpx.AsyncClient],
):
    _, client = mb
    path = f"label/{LABEL_MBID}"
    default = await client.get(path)
    assert default.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert default.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?><metadata xmlns=')
    accepted = await client.get(path, headers={"Accept": "application/json"})
    assert accepted.json()["id"] == LABEL_MBID
    forced = await client.get(path, params={"fmt": "xml"}, headers={"Accept": "application/json"})
    assert forced.headers["Content-Type"].startswith("application/xml")


# --- browse, search, URLs -----------------------------------------------------------------


async def test_browse_pages(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    _, first = await get_json(client, "release", artist=PAGING_ARTIST_MBID)
    assert first["release-count"] == PAGING_RELEASE_COUNT
    assert first["release-offset"] == 0 and len(first["releases"]) == 25
    _, rest = await get_json(client, "release/", artist=PAGING_ARTIST_MBID, offset="25")
    assert len(rest["releases"]) == PAGING_RELEASE_COUNT - 25
    _, clamped = await get_json(client, "release", artist=PAGING_ARTIST_MBID, limit="500")
    assert len(clamped["releases"]) == PAGING_RELEASE_COUNT
    _, groups = await get_json(client, "release-group", artist=ARTIST_MBID, type="single")
    assert [g["title"] for g in groups["release-groups"]] == ["Split Single"]
    _, tracks = await get_json(client, "recording", release=DISCOGS_LINKED_RELEASE_MBID)
    assert tracks["recording-count"] == 5
    status, _ = await get_json(client, "release", artist="00000000-0000-0000-0000-000000000000")
    assert status == 404
    status, _ = await get_json(client, "release")
    assert status == 400


async def test_search(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    _, found = await get_json(client, "release/", query='release:"Second Draft" AND catno:PHJ-010')
    assert {"created", "count", "offset", "releases"} <= found.keys()
    assert found["count"] == 1 and found["releases"][0]["score"] == 100
    assert found["releases"][0]["label-info"][0]["catalog-number"] == "PHJ-010"
    _, recordings = await get_json(client, "recording", query=f"isrc:{RECORDING_ISRC}")
    assert [r["id"] for r in recordings["recordings"]] == [RECORDING_MBID]
    _, artists = await get_json(client, "artist", query="example ensemble", limit="1")
    assert artists["artists"][0]["id"] == ARTIST_MBID
    _, none = await get_json(client, "label", query="label:nothing-like-this")
    assert none["count"] == 0 and none["labels"] == []


def test_query_parser_reads_client_queries():
    clauses = parse_query(r'release:(second draft) artist:"the example" catno:PH\-001 bare')
    assert [(c.field, c.value) for c in clauses] == [
        ("release", "second"),
        ("release", "draft"),
        ("artist", "the example"),
        ("catno", "ph-001"),
        (None, "bare"),
    ]
    assert parse_includes("release", "artists recordings") == {"artists", "recordings"}


async def test_reverse_url_lookup(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    linked = f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
    _, url = await get_json(client, "url", resource=linked, inc="release-rels")
    assert url["resource"] == linked
    assert url["relations"][0]["release"]["id"] == DISCOGS_LINKED_RELEASE_MBID
    assert url["relations"][0]["direction"] == "backward"
    unlinked = f"https://www.discogs.com/release/{DISCOGS_UNLINKED_RELEASE_ID}"
    status, _ = await get_json(client, "url", resource=unlinked)
    assert status == 404
    master = f"https://www.discogs.com/master/{DISCOGS_LINKED_MASTER_ID}"
    params = httpx.QueryParams(
        [("resource", linked), ("resource", unlinked), ("resource", master), ("fmt", "json")]
    )
    body = (await client.get("url/", params=params)).json()
    assert body["url-count"] == 2
    assert [u["resource"] for u in body["urls"]] == [linked, master]


def test_discogs_links_point_at_existing_discogs_ids():
    discogs = build_discogs_catalogue()
    links = linked_discogs_ids()
    assert links["release"][DISCOGS_LINKED_RELEASE_ID] == DISCOGS_LINKED_RELEASE_MBID
    assert links["master"][DISCOGS_LINKED_MASTER_ID] == DISCOGS_LINKED_RELEASE_GROUP_MBID
    assert DISCOGS_UNLINKED_RELEASE_ID not in links["release"]
    tables = {
        "release": discogs.releases,
        "master": discogs.masters,
        "artist": discogs.artists,
        "label": discogs.labels,
    }
    for kind, ids in links.items():
        assert ids and set(ids) <= set(tables[kind]), kind
    assert build_catalogue().discogs_links() == links  # deterministic


# --- access rules, counters, modes --------------------------------------------------------


async def test_user_agent_is_required(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    _, client = mb
    response = await client.get(f"artist/{ARTIST_MBID}", headers={"User-Agent": ""})
    assert response.status_code == 403


async def test_rate_limit_is_one_per_second_by_default():
    require("musicbrainzngs")  # reads the XML errors as the reference client does
    emulator = MusicBrainzEmulator()
    async with (
        emulator.serve() as base_url,
        httpx.AsyncClient(base_url=base_url + "/ws/2", headers={"User-Agent": UA}) as client,
    ):
        path = f"artist/{ARTIST_MBID}"
        assert (await client.get(path, params={"fmt": "json"})).status_code == 200
        limited = await client.get(path, params={"fmt": "json"})
        assert limited.status_code == 503
        assert limited.json() == {"error": RATE_LIMITED, "help": HELP}
        assert int(limited.headers["Retry-After"]) >= 1
        limited_xml = await client.get(path)
        assert musicbrainzngs.mbxml.get_error_message(limited_xml.content)[0] == RATE_LIMITED
        await asyncio.sleep(1.05)
        assert (await client.get(path)).status_code == 200
    assert emulator.calls == 4


async def test_counters_reset_and_modes(mb: tuple[MusicBrainzEmulator, httpx.AsyncClient]):
    emulator, client = mb
    path = f"/ws/2/label/{LABEL_MBID}"
    await client.get(f"label/{LABEL_MBID}", params={"inc": "releases"})
    await client.get(f"label/{LABEL_MBID}")
    assert emulator.calls == 2 and emulator.calls_by_path[path] == 2
    assert emulator.requests[0].path_qs == path + "?inc=releases"
    assert emulator.requests[0].headers["User-Agent"] == UA
    emulator.set_mode("error", times=1)
    failed = await client.get(f"label/{LABEL_MBID}", params={"fmt": "json"})
    assert failed.status_code == 503 and "error" in failed.json()
    assert (await client.get(f"label/{LABEL_MBID}")).status_code == 200
    emulator.set_mode("garbage", times=1, body="<metadata")
    assert (await client.get(f"label/{LABEL_MBID}")).content == b"<metadata"
    emulator.set_mode("drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(f"label/{LABEL_MBID}")
    emulator.set_mode("ratelimited", times=1)
    assert (await client.get(f"label/{LABEL_MBID}")).status_code == 503
    emulator.reset()
    assert emulator.calls == 0 and not emulator.calls_by_path and emulator.mode == "ok"
    with pytest.raises(ValueError, match="unknown mode"):
        emulator.set_mode("sulk")


# --- musicbrainzngs, the reference XML client ---------------------------------------------


@pytest.fixture(scope="module")
def ngs() -> Iterator[MusicBrainzEmulator]:
    require("musicbrainzngs")
    emulator = MusicBrainzEmulator(rate_limit=1000)
    with EmulatorThread(emulator) as base_url:
        musicbrainzngs.set_useragent("SleeveEmulatorTests", "1.0", "https://sleeve.test")
        musicbrainzngs.set_hostname(base_url.removeprefix("http://"), use_https=False)
        musicbrainzngs.set_rate_limit(False)
        yield emulator


def test_musicbrainzngs_release_lookup(ngs: MusicBrainzEmulator):
    includes = ["recordings", "artists", "labels", "release-groups", "url-rels", "media"]
    release = musicbrainzngs.get_release_by_id(DISCOGS_LINKED_RELEASE_MBID, includes)["release"]
    assert release["title"] == "Fictional Frequencies"
    assert release["artist-credit-phrase"] == "The Example Ensemble"
    assert release["label-info-list"][0]["catalog-number"] == "PH-001"
    assert release["release-group"]["primary-type"] == "Album"
    assert release["cover-art-archive"]["front"] == "true"
    tracks = release["medium-list"][0]["track-list"]
    assert [t["recording"]["title"] for t in tracks][1] == "Signal Test"
    assert tracks[1]["length"] == "245000"
    (discogs,) = release["url-relation-list"]
    assert discogs["target"] == f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
    assert ngs.calls_by_path[f"/ws/2/release/{DISCOGS_LINKED_RELEASE_MBID}"] >= 1


def test_musicbrainzngs_other_lookups(ngs: MusicBrainzEmulator):
    artist = musicbrainzngs.get_artist_by_id(ARTIST_MBID, ["aliases", "tags", "url-rels"])
    assert artist["artist"]["name"] == "The Example Ensemble"
    assert artist["artist"]["alias-list"][0]["alias"] == "The Examples"
    assert artist["artist"]["tag-list"][0] == {"count": "3", "name": "ambient"}
    recording = musicbrainzngs.get_recording_by_id(RECORDING_MBID, ["isrcs", "artists"])
    assert recording["recording"]["isrc-list"] == [RECORDING_ISRC]
    label = musicbrainzngs.get_label_by_id(LABEL_MBID, ["releases"])["label"]
    assert label["label-code"] == "99901" and label["release-count"] >= 4
    work = musicbrainzngs.get_work_by_id(WORK_MBID, ["artist-rels"])["work"]
    assert work["iswc-list"] == ["T-900.000.001-1"]
    assert {r["type"] for r in work["artist-relation-list"]} == {"composer", "lyricist"}
    place = musicbrainzngs.get_place_by_id(PLACE_MBID)["place"]
    assert place["coordinates"] == {"latitude": "51.0", "longitude": "-1.0"}
    assert musicbrainzngs.get_event_by_id(EVENT_MBID)["event"]["time"] == "19:00"
    assert musicbrainzngs.get_instrument_by_id(INSTRUMENT_MBID)["instrument"]["type"]
    assert musicbrainzngs.get_series_by_id(SERIES_MBID)["series"]["name"]
    by_isrc = musicbrainzngs.get_recordings_by_isrc(RECORDING_ISRC)
    assert by_isrc["isrc"]["recording-list"][0]["id"] == RECORDING_MBID


def test_musicbrainzngs_browse_search_and_urls(ngs: MusicBrainzEmulator):
    page = musicbrainzngs.browse_releases(artist=PAGING_ARTIST_MBID, limit=10, offset=20)
    assert page["release-count"] == PAGING_RELEASE_COUNT and len(page["release-list"]) == 10
    found = musicbrainzngs.search_releases("Fictional Frequencies", limit=5)
    assert found["release-count"] == 2
    assert {r["ext:score"] for r in found["release-list"]} == {"100"}
    artists = musicbrainzngs.search_artists(artist="jane placeholder")
    assert artists["artist-list"][0]["name"] == "Jane Placeholder"
    groups = musicbrainzngs.search_release_groups(releasegroup="second draft", strict=True)
    assert groups["release-group-list"][0]["title"] == "Second Draft"
    resource = f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
    url = musicbrainzngs.browse_urls(resource=resource, includes=["release-rels"])["url"]
    assert url["release-relation-list"][0]["release"]["id"] == DISCOGS_LINKED_RELEASE_MBID
    with pytest.raises(musicbrainzngs.ResponseError) as error:
        musicbrainzngs.get_release_by_id("00000000-0000-0000-0000-000000000000")
    assert error.value.cause.code == 404
    error.value.cause.close()  # urllib's HTTPError holds the socket until closed
