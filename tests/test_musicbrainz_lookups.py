"""MusicBrainz' look-ups by code, the genre list and the URL search, end to end: a real
gateway over real HTTP in front of the MusicBrainz emulator, which counts every call.

Covered, for ``/ws/2/isrc/{isrc}``, ``/ws/2/iswc/{iswc}``, ``/ws/2/discid/{discid}``
(a known disc, a CD stub, a TOC looked up alone or for an unknown disc), ``/ws/2/genre/all``
and ``/ws/2/url?query=…``: JSON and XML; a repeat answered from sleeve's cache (the
emulator's count unchanged) for as long as the kind's lifetime says; what sleeve sends on,
normalised so that equal requests share an entry; sleeve's own 400s naming what is wrong,
made without an upstream call; MusicBrainz' 404s passed on and kept; its rate limiting
as a 503. musicbrainzngs' ``get_recordings_by_isrc``, ``get_works_by_iswc`` and
``get_releases_by_discid`` work through sleeve unchanged but for the host.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from sleeve.emulators.metabrainz_data import (
    ARTIST_MBID,
    CDSTUB_DISC_ID,
    DISC_ID,
    DISC_RELEASE_MBID,
    DISC_TOC,
    DISCOGS_LINKED_RELEASE_MBID,
    FF_CD_DISC,
    FF_CD_RELEASE_MBID,
    GENRES,
    RECORDING_ISRC,
    RECORDING_MBID,
    WORK_ISWC,
    WORK_MBID,
    disc_of,
)
from tests.client_libraries import optional, require
from tests.conftest import (
    ADMIN_TOKEN,
    RunningCoverArt,
    RunningEmulator,
    RunningMusicBrainz,
    metabrainz_settings,
)
from tests.servers import gateway
from tests.test_musicbrainz_gateway import cache_status, musicbrainz_error, sent_queries

musicbrainzngs = optional("musicbrainzngs")  # its tests' fixture requires it

MMD = "{http://musicbrainz.org/ns/mmd-2.0#}"
JSON = {"Accept": "application/json"}
JSON_FMT = {"fmt": "json"}
DAY, WEEK = 86400, 7 * 86400
ISRC_PATH = f"/ws/2/isrc/{RECORDING_ISRC}"
ISWC_PATH = f"/ws/2/iswc/{WORK_ISWC}"
DISC_PATH = f"/ws/2/discid/{DISC_ID}"
TOC_PATH = "/ws/2/discid/-"
# A disc ID nobody has (its TOC: three tracks of a minute each); the emulator knows it not.
UNKNOWN_DISC = disc_of([60_000, 60_000, 60_000])
# The Fictional Frequencies tracks, each a few seconds off: what a TOC fuzzily fits.
NEAR_FF_TOC = disc_of([203_500, 241_000, 315_000, 190_000, 271_000]).toc


def ttl(answer: httpx.Response) -> int:
    """The lifetime left, from ``Cache-Status: sleeve; fwd=miss; ttl=…``."""
    (value,) = [p.split("=")[1] for p in answer.headers["cache-status"].split("; ") if "ttl=" in p]
    return int(value)


def metadata(answer: httpx.Response) -> ElementTree.Element:
    """The one child of an XML answer's ``<metadata>``."""
    assert answer.headers["content-type"] == "application/xml; charset=utf-8", answer.text
    root = ElementTree.fromstring(answer.content)
    assert root.tag == f"{MMD}metadata"
    (child,) = root
    return child


# --- ISRC ---------------------------------------------------------------------------------


def test_isrc_in_json_then_xml_each_kept_a_day(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    answer = httpx.get(f"{gateway_url}{ISRC_PATH}?fmt=json&inc=releases+artist-credits")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["isrc"] == RECORDING_ISRC
    (recording,) = body["recordings"]
    assert recording["id"] == RECORDING_MBID and recording["title"] == "Signal Test"
    assert recording["artist-credit"][0]["artist"]["id"] == ARTIST_MBID
    assert DISCOGS_LINKED_RELEASE_MBID in {r["id"] for r in recording["releases"]}
    assert cache_status(answer) == "fwd=miss" and DAY - 5 < ttl(answer) <= DAY
    # Another spelling of the same includes, by Accept: the same entry.
    again = httpx.get(f"{gateway_url}{ISRC_PATH}?inc=artist-credits%2Breleases", headers=JSON)
    assert again.content == answer.content and cache_status(again) == "hit"
    (sent,) = sent_queries(musicbrainz.emulator, ISRC_PATH)
    assert sent == {"inc": ["artist-credits+releases"], "fmt": ["json"]}

    xml = httpx.get(f"{gateway_url}{ISRC_PATH}")
    isrc = metadata(xml)
    assert isrc.tag == f"{MMD}isrc" and isrc.get("id") == RECORDING_ISRC
    recordings = isrc.find(f"{MMD}recording-list")
    assert recordings is not None and recordings.get("count") == "1"
    assert recordings[0].get("id") == RECORDING_MBID
    assert httpx.get(f"{gateway_url}{ISRC_PATH}").content == xml.content
    assert musicbrainz.emulator.calls == 2  # once per representation


# --- ISWC ---------------------------------------------------------------------------------


def test_iswc_in_json_and_xml_and_only_its_kept_spelling_is_found(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    answer = httpx.get(f"{gateway_url}{ISWC_PATH}?fmt=json&inc=artist-rels")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["work-count"], body["work-offset"]) == (1, 0)
    (work,) = body["works"]
    assert work["id"] == WORK_MBID and work["iswcs"] == [WORK_ISWC]
    assert {r["type"] for r in work["relations"]} == {"composer", "lyricist"}
    assert DAY - 5 < ttl(answer) <= DAY
    assert httpx.get(f"{gateway_url}{ISWC_PATH}?inc=artist-rels", headers=JSON).content == (
        answer.content
    )

    works = metadata(httpx.get(f"{gateway_url}{ISWC_PATH}"))
    assert works.tag == f"{MMD}work-list" and works.get("count") == "1"
    assert works[0].get("id") == WORK_MBID
    assert musicbrainz.emulator.calls == 2

    # MusicBrainz takes the ISWC without its punctuation, and finds nothing for it: passed on
    # as written (not made into the kept form), its 404 passed on and kept.
    bare = "/ws/2/iswc/T9000000011"
    missing = [httpx.get(f"{gateway_url}{bare}?fmt=json") for _ in range(2)]
    assert [m.status_code for m in missing] == [404, 404]
    assert musicbrainz_error(missing[1], as_json=True) == "Not Found"
    assert musicbrainz.emulator.calls_by_path[bare] == 1


# --- disc IDs and TOCs --------------------------------------------------------------------


def test_a_known_disc_with_its_releases_in_json_and_xml(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    answer = httpx.get(f"{gateway_url}{DISC_PATH}?fmt=json&inc=recordings")
    assert answer.status_code == 200, answer.text
    disc = answer.json()
    assert disc["id"] == DISC_ID
    assert disc["offset-count"] == 4 and disc["offsets"] == [150, 17625, 36450, 51300]
    assert disc["sectors"] == 73875 == int(DISC_TOC.split()[2])
    (release,) = disc["releases"]
    assert release["id"] == DISC_RELEASE_MBID and release["title"] == "Second Draft"
    (medium,) = release["media"]
    assert [d["id"] for d in medium["discs"]] == [DISC_ID]
    assert [t["title"] for t in medium["tracks"]][:2] == ["Draft One", "Draft Two"]
    assert DAY - 5 < ttl(answer) <= DAY
    repeat = httpx.get(f"{gateway_url}{DISC_PATH}?inc=recordings&fmt=json")
    assert repeat.content == answer.content and cache_status(repeat) == "hit"

    xml = metadata(httpx.get(f"{gateway_url}{DISC_PATH}"))
    assert xml.tag == f"{MMD}disc" and xml.get("id") == DISC_ID
    assert xml.findtext(f"{MMD}sectors") == "73875"
    offsets = xml.find(f"{MMD}offset-list")
    assert offsets is not None and [o.text for o in offsets] == ["150", "17625", "36450", "51300"]
    assert [o.get("position") for o in offsets] == ["1", "2", "3", "4"]
    releases = xml.find(f"{MMD}release-list")
    assert releases is not None and releases[0].get("id") == DISC_RELEASE_MBID
    assert musicbrainz.emulator.calls == 2


def test_a_cd_stub_unless_cdstubs_no(gateway_url: str, musicbrainz: RunningMusicBrainz) -> None:
    path = f"/ws/2/discid/{CDSTUB_DISC_ID}"
    stub = httpx.get(f"{gateway_url}{path}?fmt=json")
    assert stub.status_code == 200, stub.text
    body = stub.json()
    assert (body["id"], body["title"], body["artist"]) == (
        CDSTUB_DISC_ID,
        "Untitled Demo",
        "The Example Ensemble",
    )
    assert body["track-count"] == 3 and body["tracks"][0]["title"] == "Demo One"
    # cdstubs=yes is MusicBrainz' default: not sent on, the same entry.
    same = httpx.get(f"{gateway_url}{path}?cdstubs=yes", headers=JSON)
    assert same.content == stub.content and cache_status(same) == "hit"
    xml = metadata(httpx.get(f"{gateway_url}{path}"))
    assert xml.tag == f"{MMD}cdstub" and xml.findtext(f"{MMD}title") == "Untitled Demo"
    tracks = xml.find(f"{MMD}track-list")
    assert tracks is not None and tracks.get("count") == "3"

    refused = httpx.get(f"{gateway_url}{path}?cdstubs=no&fmt=json")
    assert refused.status_code == 404
    assert musicbrainz_error(refused, as_json=True) == "Not Found"
    sent = sent_queries(musicbrainz.emulator, path)
    assert sent == [{"fmt": ["json"]}, {"fmt": ["xml"]}, {"cdstubs": ["no"], "fmt": ["json"]}]


def test_a_toc_alone_finds_the_releases_whose_media_fit_it(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    """Each track within 10 s: the US 2xCD's first disc; with ``media-format=all`` the UK LP
    (the same tracks on vinyl, which has no disc IDs) as well."""
    answer = httpx.get(f"{gateway_url}{TOC_PATH}", params={"toc": NEAR_FF_TOC, "fmt": "json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["release-count"], body["release-offset"]) == (1, 0)
    assert [r["id"] for r in body["releases"]] == [FF_CD_RELEASE_MBID]
    assert [d["id"] for d in body["releases"][0]["media"][0]["discs"]] == [FF_CD_DISC.id]
    # The TOC as libdiscid writes it, with + for spaces: the same request, the same entry.
    plus = httpx.get(f"{gateway_url}{TOC_PATH}?toc={NEAR_FF_TOC.replace(' ', '%2B')}&fmt=json")
    assert plus.content == answer.content and cache_status(plus) == "hit"

    everything = {"toc": NEAR_FF_TOC, "media-format": "all"}
    xml = metadata(httpx.get(f"{gateway_url}{TOC_PATH}", params=everything))
    assert xml.tag == f"{MMD}release-list" and xml.get("count") == "2"
    assert {r.get("id") for r in xml} == {FF_CD_RELEASE_MBID, DISCOGS_LINKED_RELEASE_MBID}
    first, second = sent_queries(musicbrainz.emulator, TOC_PATH)
    assert first == {"toc": [NEAR_FF_TOC], "fmt": ["json"]}
    assert second == {"toc": [NEAR_FF_TOC], "media-format": ["all"], "fmt": ["xml"]}

    nothing = httpx.get(f"{gateway_url}{TOC_PATH}", params={"toc": UNKNOWN_DISC.toc})
    assert nothing.status_code == 200 and metadata(nothing).get("count") == "0"
    assert musicbrainz.emulator.calls == 3


def test_an_unknown_disc_id_with_its_toc_falls_back_on_the_toc(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    path = f"/ws/2/discid/{UNKNOWN_DISC.id}"
    fitting = httpx.get(f"{gateway_url}{path}", params={"toc": DISC_TOC, "fmt": "json"})
    assert fitting.status_code == 200, fitting.text
    assert [r["id"] for r in fitting.json()["releases"]] == [DISC_RELEASE_MBID]

    without = [httpx.get(f"{gateway_url}{path}?fmt=json") for _ in range(2)]
    assert [w.status_code for w in without] == [404, 404]
    assert musicbrainz.emulator.calls_by_path[path] == 2  # the 404 was kept

    # MusicBrainz reads the TOC only for a disc it does not know, so sleeve leaves a TOC
    # given with a disc ID to it, and passes its 400 on.
    bad = httpx.get(f"{gateway_url}{path}", params={"toc": "1 2 900 300 150", "fmt": "json"})
    assert bad.status_code == 400
    assert musicbrainz_error(bad, as_json=True) == "Invalid TOC"
    assert musicbrainz.emulator.calls_by_path[path] == 3


def test_what_does_not_change_a_disc_answer_is_not_sent(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    """``cdstubs`` only matters for a disc ID, ``media-format`` only with a TOC; a page is
    at most 25 releases (MusicBrainz' cap) and 25 from 0 its default."""
    asked = [
        (TOC_PATH, {"toc": DISC_TOC, "cdstubs": "no", "limit": "100"}),
        (TOC_PATH, {"toc": DISC_TOC, "limit": "25", "offset": "0"}),
        (DISC_PATH, {"media-format": "all", "cdstubs": "yes", "limit": "10"}),
        (DISC_PATH, {"limit": "10", "offset": "0"}),
    ]
    answers = [httpx.get(f"{gateway_url}{path}", params=query) for path, query in asked]
    assert [a.status_code for a in answers] == [200] * 4
    assert [cache_status(a) for a in answers] == ["fwd=miss", "hit", "fwd=miss", "hit"]
    assert sent_queries(musicbrainz.emulator, TOC_PATH) == [{"toc": [DISC_TOC], "fmt": ["xml"]}]
    assert sent_queries(musicbrainz.emulator, DISC_PATH) == [{"limit": ["10"], "fmt": ["xml"]}]


# --- the genre list -----------------------------------------------------------------------


def test_the_genre_list_a_page_at_a_time_kept_a_week(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    names = sorted(name for name, _ in GENRES)
    page = httpx.get(f"{gateway_url}/ws/2/genre/all?limit=4&offset=2&fmt=json")
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["genre-count"], body["genre-offset"]) == (len(GENRES), 2)
    assert [g["name"] for g in body["genres"]] == names[2:6]
    assert all(set(g) == {"id", "name", "disambiguation"} for g in body["genres"])
    assert WEEK - 5 < ttl(page) <= WEEK
    assert cache_status(httpx.get(f"{gateway_url}/ws/2/genre/all?limit=4&offset=2&fmt=json")) == (
        "hit"
    )

    first = metadata(httpx.get(f"{gateway_url}/ws/2/genre/all"))
    assert first.tag == f"{MMD}genre-list" and first.get("count") == str(len(GENRES))
    assert [g.findtext(f"{MMD}name") for g in first] == names
    assert musicbrainz.emulator.calls == 2
    # MusicBrainz' plain-text list is not passed on: a 400 naming fmt, in XML by default.
    text = httpx.get(f"{gateway_url}/ws/2/genre/all?fmt=txt")
    assert text.status_code == 400
    assert "fmt" in musicbrainz_error(text, as_json=False)
    assert musicbrainz.emulator.calls == 2


# --- URL search ---------------------------------------------------------------------------


def test_urls_are_searched_by_query_and_kept_as_searches(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    found = httpx.get(f"{gateway_url}/ws/2/url", params={"query": "targettype:place", **JSON_FMT})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["count"] == 1 and body["offset"] == 0 and "created" in body
    (url,) = body["urls"]
    assert url["resource"].startswith("https://maps.example.test/") and url["score"] == 100
    assert 595 < ttl(found) <= 600  # a search's lifetime
    assert cache_status(httpx.get(f"{gateway_url}/ws/2/url?query=targettype:place&fmt=json")) == (
        "hit"
    )
    xml = metadata(httpx.get(f"{gateway_url}/ws/2/url", params={"query": "example-ensemble"}))
    assert xml.tag == f"{MMD}url-list" and xml.get("count") == "1"
    first, second = sent_queries(musicbrainz.emulator, "/ws/2/url")
    assert first == {
        "query": ["targettype:place"],
        "limit": ["25"],
        "offset": ["0"],
        "fmt": ["json"],
    }
    assert second["query"] == ["example-ensemble"]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="neither"),
        pytest.param(f"resource={quote('https://example-ensemble.test/')}&query=x", id="both"),
    ],
)
def test_urls_take_exactly_one_of_resource_or_query(
    gateway_url: str, musicbrainz: RunningMusicBrainz, query: str
) -> None:
    refused = httpx.get(f"{gateway_url}/ws/2/url?{query}&fmt=json")
    assert refused.status_code == 400
    message = musicbrainz_error(refused, as_json=True)
    assert "exactly one of" in message and "resource" in message and "query" in message
    assert musicbrainz.emulator.calls == 0


# --- sleeve's own 400s, and MusicBrainz' 404s and 503s -------------------------------------

BAD_REQUESTS = [
    pytest.param("/ws/2/isrc/zzph09800002", ("isrc",), id="isrc-in-lower-case"),
    pytest.param("/ws/2/isrc/ZZPH0980000", ("isrc",), id="isrc-too-short"),
    pytest.param(f"{ISRC_PATH}?inc=genres", ("genres", "isrc resource"), id="isrc-inc"),
    pytest.param("/ws/2/iswc/900.000.001-1", ("iswc",), id="iswc-without-t"),
    pytest.param(f"{ISWC_PATH}?inc=releases", ("releases", "iswc resource"), id="iswc-inc"),
    pytest.param(f"/ws/2/discid/{DISC_ID[:-1]}", ("discid",), id="discid-without-its-dash"),
    pytest.param("/ws/2/discid/-?x=1", ("Invalid discid.",), id="no-discid-and-no-toc"),
    pytest.param(f"{DISC_PATH}?toc=1,2,3", ("toc",), id="toc-not-numbers"),
    pytest.param(f"{TOC_PATH}?toc=1+2+900+300+150", ("Invalid TOC",), id="toc-falling"),
    pytest.param(f"{TOC_PATH}?toc=1+3+900+150+300", ("Invalid TOC",), id="toc-offset-missing"),
    pytest.param(f"{TOC_PATH}?toc=2+2+900+150", ("Invalid TOC",), id="toc-not-from-1"),
    pytest.param(f"{DISC_PATH}?cdstubs=maybe", ("cdstubs",), id="cdstubs"),
    pytest.param(f"{TOC_PATH}?toc={DISC_TOC}&media-format=CD", ("media-format",), id="format"),
    pytest.param(f"{DISC_PATH}?inc=media", ("media", "discid resource"), id="discid-inc"),
    pytest.param("/ws/2/genre/all?limit=101", ("limit",), id="genre-limit"),
]
REPRESENTATIONS = [
    pytest.param("fmt=json", {}, True, id="json"),
    pytest.param("", {}, False, id="xml"),
]


@pytest.mark.parametrize(("suffix", "headers", "as_json"), REPRESENTATIONS)
@pytest.mark.parametrize(("path", "words"), BAD_REQUESTS)
def test_bad_requests_are_refused_by_sleeve_naming_what_is_wrong(
    gateway_url: str,
    musicbrainz: RunningMusicBrainz,
    path: str,
    words: tuple[str, ...],
    suffix: str,
    headers: dict[str, str],
    as_json: bool,
) -> None:
    joined = path + ("&" if "?" in path else "?") + suffix if suffix else path
    answer = httpx.get(f"{gateway_url}{joined}", headers=headers)
    assert answer.status_code == 400, answer.text
    message = musicbrainz_error(answer, as_json=as_json)
    for word in words:
        assert word in message
    assert musicbrainz.emulator.calls == 0


@pytest.mark.parametrize(
    "path",
    ["/ws/2/isrc/ZZPH09899999", "/ws/2/iswc/T-900.000.999-9", f"/ws/2/discid/{UNKNOWN_DISC.id}"],
    ids=["isrc", "iswc", "discid"],
)
def test_nothing_found_is_a_404_passed_on_and_kept(
    gateway_url: str, musicbrainz: RunningMusicBrainz, path: str
) -> None:
    for query, as_json in (("?fmt=json", True), ("", False)):
        answers = [httpx.get(f"{gateway_url}{path}{query}") for _ in range(2)]
        assert [a.status_code for a in answers] == [404, 404]
        assert [musicbrainz_error(a, as_json=as_json) for a in answers] == ["Not Found"] * 2
    assert musicbrainz.emulator.calls_by_path[path] == 2  # once per representation


@pytest.fixture(scope="module")
def one_try(
    discogs: RunningEmulator, musicbrainz: RunningMusicBrainz, coverart: RunningCoverArt
) -> Iterator[str]:
    """A gateway that asks MusicBrainz once, without retrying its 503s."""
    settings = metabrainz_settings(musicbrainz, coverart)
    settings["upstreams"]["musicbrainz"] |= {"attempts": 1, "breaker_failures": 1000}
    with gateway(
        discogs.url,
        cache={"stale_while_revalidate": 0, "stale_if_error": 0},
        server={"admin_token": ADMIN_TOKEN},
        **settings,
    ) as url:
        yield url


@pytest.mark.parametrize(
    "path",
    [ISRC_PATH, ISWC_PATH, DISC_PATH, "/ws/2/genre/all", "/ws/2/url?query=discogs"],
    ids=["isrc", "iswc", "discid", "genres", "url-search"],
)
def test_musicbrainz_rate_limiting_sleeve_is_a_503_with_its_retry_after(
    one_try: str, musicbrainz: RunningMusicBrainz, path: str
) -> None:
    musicbrainz.emulator.set_mode("ratelimited", retry_after=6, times=1)
    limited = httpx.get(f"{one_try}{path}", headers=JSON)
    assert limited.status_code == 503
    assert limited.headers["retry-after"] == "6"
    assert "MusicBrainz" in musicbrainz_error(limited, as_json=True)
    recovered = httpx.get(f"{one_try}{path}", headers=JSON)
    assert recovered.status_code == 200 and cache_status(recovered) == "fwd=miss"
    assert musicbrainz.emulator.calls == 2


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


def test_musicbrainzngs_isrc_and_iswc(ngs: None, musicbrainz: RunningMusicBrainz) -> None:
    by_isrc = musicbrainzngs.get_recordings_by_isrc(RECORDING_ISRC, ["releases", "artists"])
    (recording,) = by_isrc["isrc"]["recording-list"]
    assert recording["id"] == RECORDING_MBID
    assert recording["artist-credit-phrase"] == "The Example Ensemble"
    assert DISCOGS_LINKED_RELEASE_MBID in {r["id"] for r in recording["release-list"]}
    by_iswc = musicbrainzngs.get_works_by_iswc(WORK_ISWC)
    assert by_iswc["work-count"] == 1
    assert by_iswc["work-list"][0]["id"] == WORK_MBID
    assert by_iswc["work-list"][0]["iswc-list"] == [WORK_ISWC]
    assert musicbrainzngs.get_recordings_by_isrc(RECORDING_ISRC, ["releases", "artists"]) == (
        by_isrc
    )
    assert musicbrainzngs.get_works_by_iswc(WORK_ISWC) == by_iswc
    assert musicbrainz.emulator.calls == 2  # the repeats stayed in sleeve
    (sent,) = sent_queries(musicbrainz.emulator, ISRC_PATH)
    assert sent == {"inc": ["artists+releases"], "fmt": ["xml"]}


def test_musicbrainzngs_disc_ids_tocs_and_cd_stubs(
    ngs: None, musicbrainz: RunningMusicBrainz
) -> None:
    disc = musicbrainzngs.get_releases_by_discid(DISC_ID, includes=["artists"])["disc"]
    assert disc["id"] == DISC_ID and disc["sectors"] == "73875"
    assert disc["offset-list"] == [150, 17625, 36450, 51300] and disc["offset-count"] == 4
    (release,) = disc["release-list"]
    assert release["id"] == DISC_RELEASE_MBID
    assert release["artist-credit-phrase"] == "The Example Ensemble"
    assert release["medium-list"][0]["disc-list"][0]["id"] == DISC_ID

    stub = musicbrainzngs.get_releases_by_discid(CDSTUB_DISC_ID)["cdstub"]
    assert stub["title"] == "Untitled Demo" and len(stub["track-list"]) == 3
    with pytest.raises(musicbrainzngs.ResponseError) as error:
        musicbrainzngs.get_releases_by_discid(CDSTUB_DISC_ID, cdstubs=False)
    assert error.value.cause.code == 404
    error.value.cause.close()  # urllib's HTTPError holds the socket until closed

    fitting = musicbrainzngs.get_releases_by_discid(UNKNOWN_DISC.id, toc=NEAR_FF_TOC)
    assert [r["id"] for r in fitting["release-list"]] == [FF_CD_RELEASE_MBID]
    everything = musicbrainzngs.get_releases_by_discid("-", toc=NEAR_FF_TOC, media_format="all")
    assert {r["id"] for r in everything["release-list"]} == {
        FF_CD_RELEASE_MBID,
        DISCOGS_LINKED_RELEASE_MBID,
    }
    assert musicbrainz.emulator.calls == 5
    assert musicbrainzngs.get_releases_by_discid(DISC_ID, includes=["artists"])["disc"] == disc
    assert musicbrainz.emulator.calls == 5
    (sent,) = sent_queries(musicbrainz.emulator, f"/ws/2/discid/{UNKNOWN_DISC.id}")
    assert sent == {"toc": [NEAR_FF_TOC], "fmt": ["xml"]}
