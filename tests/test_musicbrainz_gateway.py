"""The MusicBrainz side of sleeve end to end: a real gateway over real HTTP in front of the
MusicBrainz emulator, which counts every call that reaches it.

Covered: JSON and XML (``fmt``, ``Accept``, the default) and how requests share cache
entries (``inc`` spellings and order, the trailing-slash paths, several URLs in any order);
sleeve's own 400s in MusicBrainz' words and representation, made without an upstream call;
MusicBrainz' 404 passed on and briefly cached; its 503, a timeout and garbage as 503, 504
and 502 (garbage never cached); the one-call-per-second limit kept by one gateway and by
two processes sharing Redis; and the links from Discogs entities to their MusicBrainz
counterparts.
"""

from __future__ import annotations

import asyncio
import itertools
import pathlib
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from sleeve.config import load_settings
from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.metabrainz_data import (
    ARTIST_MBID,
    COMMA_URL,
    DISCOGS_LINKED_ARTIST_ID,
    DISCOGS_LINKED_LABEL_ID,
    DISCOGS_LINKED_MASTER_ID,
    DISCOGS_LINKED_RELEASE_GROUP_MBID,
    DISCOGS_LINKED_RELEASE_ID,
    DISCOGS_LINKED_RELEASE_MBID,
    DISCOGS_UNLINKED_RELEASE_ID,
    LABEL_MBID,
    PAGING_RELEASE_GROUP_MBID,
    PLACE_MBID,
    RECORDING_MBID,
    WORK_MBID,
)
from sleeve.emulators.musicbrainz import MusicBrainzEmulator
from tests.cache.redis_server import RedisServer
from tests.conftest import (
    ADMIN_TOKEN,
    RunningCoverArt,
    RunningEmulator,
    RunningMusicBrainz,
    metabrainz_settings,
)
from tests.servers import gateway, gateway_processes

MISSING_MBID = "00000000-0000-4000-8000-000000000000"
RELEASE_PATH = f"/ws/2/release/{DISCOGS_LINKED_RELEASE_MBID}"
ARTIST_PATH = f"/ws/2/artist/{ARTIST_MBID}"
DISCOGS_RELEASE_PAGE = f"https://www.discogs.com/release/{DISCOGS_LINKED_RELEASE_ID}"
LINK_INCLUDES = "artist-rels+label-rels+release-group-rels+release-rels"
JSON = {"Accept": "application/json"}


def cache_status(answer: httpx.Response) -> str:
    """``hit``, ``fwd=miss`` … from ``Cache-Status: sleeve; hit; ttl=…``."""
    return answer.headers["cache-status"].split(";")[1].strip()


def sent_queries(emulator: MusicBrainzEmulator, path: str) -> list[dict[str, list[str]]]:
    """What sleeve asked the emulator for ``path``: each request's query, parsed."""
    return [
        parse_qs(urlsplit(request.path_qs).query, keep_blank_values=True)
        for request in emulator.requests
        if request.path == path
    ]


def musicbrainz_error(answer: httpx.Response, *, as_json: bool) -> str:
    """The message of a MusicBrainz-shaped error, checking its representation."""
    content_type = answer.headers["content-type"]
    if as_json:
        assert content_type.startswith("application/json"), content_type
        body = answer.json()
        assert set(body) == {"error", "help"}, body
        return str(body["error"])
    assert content_type.startswith("application/xml"), content_type
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "error", answer.text
    texts = [text.text or "" for text in root.findall("text")]
    assert len(texts) == 2 and texts[1].startswith("For usage"), texts
    return texts[0]


# --- representations and cache entries ---------------------------------------------------


def test_json_by_fmt_or_accept_share_an_entry_and_xml_is_the_default(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    first = httpx.get(f"{gateway_url}{ARTIST_PATH}?fmt=json")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert first.json()["name"] == "The Example Ensemble"
    assert first.headers["vary"] == "Accept"
    assert cache_status(first) == "fwd=miss"
    by_accept = httpx.get(f"{gateway_url}{ARTIST_PATH}", headers=JSON)
    assert by_accept.content == first.content
    assert cache_status(by_accept) == "hit"
    assert musicbrainz.emulator.calls_by_path[ARTIST_PATH] == 1

    xml = httpx.get(f"{gateway_url}{ARTIST_PATH}")
    assert xml.status_code == 200
    assert xml.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "{http://musicbrainz.org/ns/mmd-2.0#}metadata"
    assert root[0].get("id") == ARTIST_MBID
    fmt_wins = httpx.get(f"{gateway_url}{ARTIST_PATH}?fmt=xml", headers=JSON)
    assert fmt_wins.content == xml.content
    assert cache_status(fmt_wins) == "hit"
    assert musicbrainz.emulator.calls_by_path[ARTIST_PATH] == 2
    assert [q["fmt"] for q in sent_queries(musicbrainz.emulator, ARTIST_PATH)] == [
        ["json"],
        ["xml"],
    ]
    accepts = [r.headers["Accept"] for r in musicbrainz.emulator.requests]
    assert accepts == ["application/json", "application/xml"]
    assert all(r.headers["User-Agent"].startswith("sleeve/") for r in musicbrainz.emulator.requests)

    raw_repeat = httpx.get(f"{gateway_url}{ARTIST_PATH}")
    assert raw_repeat.content == xml.content
    assert cache_status(raw_repeat) == "hit"
    unchanged = httpx.get(
        f"{gateway_url}{ARTIST_PATH}", headers={"If-None-Match": xml.headers["etag"]}
    )
    assert unchanged.status_code == 304
    assert musicbrainz.emulator.calls == 2


def test_inc_spellings_and_order_share_one_upstream_call(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    spellings = [
        "inc=recordings+artist-credits+labels",  # + is a form-encoded space
        "inc=labels%2Brecordings%2Bartist-credits",  # %2B is a literal +
        "inc=artist-credits%20labels+recordings",
        "inc=+labels++recordings+artist-credits+",
    ]
    answers = [httpx.get(f"{gateway_url}{RELEASE_PATH}?fmt=json&{inc}") for inc in spellings]
    assert [a.status_code for a in answers] == [200] * 4
    assert [cache_status(a) for a in answers] == ["fwd=miss", "hit", "hit", "hit"]
    assert {a.content for a in answers} == {answers[0].content}
    release = answers[0].json()
    assert release["label-info"][0]["catalog-number"] == "PH-001"
    assert release["media"][0]["tracks"][1]["title"] == "Signal Test"
    assert release["artist-credit"][0]["artist"]["id"] == ARTIST_MBID
    (sent,) = sent_queries(musicbrainz.emulator, RELEASE_PATH)
    assert sent == {"inc": ["artist-credits+labels+recordings"], "fmt": ["json"]}


def test_search_and_browse_with_or_without_the_trailing_slash_share_an_entry(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    search = httpx.get(f"{gateway_url}/ws/2/release/?query=fictional%20frequencies&fmt=json")
    assert search.status_code == 200
    assert search.json()["count"] == 2
    assert {r["title"] for r in search.json()["releases"]} == {"Fictional Frequencies"}
    plain = httpx.get(f"{gateway_url}/ws/2/release?query=fictional+frequencies&fmt=json")
    assert plain.content == search.content
    assert cache_status(plain) == "hit"

    browse = f"release-group={PAGING_RELEASE_GROUP_MBID}&limit=5&offset=5&fmt=json"
    page = httpx.get(f"{gateway_url}/ws/2/release?{browse}")
    assert page.status_code == 200
    assert page.json()["release-count"] == 30 and len(page.json()["releases"]) == 5
    assert httpx.get(f"{gateway_url}/ws/2/release/?{browse}").content == page.content
    assert musicbrainz.emulator.calls == 2
    searched, browsed = sent_queries(musicbrainz.emulator, "/ws/2/release")
    assert searched["query"] == ["fictional frequencies"]
    assert browsed["release-group"] == [PAGING_RELEASE_GROUP_MBID]


def test_several_urls_in_one_look_up_unknown_ones_left_out(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    unknown = "https://unknown.example.test/nothing"
    resources = [COMMA_URL, unknown, DISCOGS_RELEASE_PAGE]
    query = "&".join(f"resource={quote(r, safe='')}" for r in resources)
    answer = httpx.get(f"{gateway_url}/ws/2/url?{query}&inc=place-rels+release-rels&fmt=json")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["url-count"] == 2
    urls = {u["resource"]: u for u in body["urls"]}
    assert set(urls) == {COMMA_URL, DISCOGS_RELEASE_PAGE}
    assert urls[COMMA_URL]["relations"][0]["place"]["id"] == PLACE_MBID
    assert urls[DISCOGS_RELEASE_PAGE]["relations"][0]["release"]["id"] == (
        DISCOGS_LINKED_RELEASE_MBID
    )
    (sent,) = sent_queries(musicbrainz.emulator, "/ws/2/url")
    assert sorted(sent["resource"]) == sorted(resources)  # the commas did not split a URL

    reordered = "&".join(f"resource={quote(r, safe='')}" for r in reversed(resources))
    again = httpx.get(f"{gateway_url}/ws/2/url?{reordered}&inc=release-rels+place-rels&fmt=json")
    assert again.content == answer.content
    assert musicbrainz.emulator.calls == 1

    one = httpx.get(f"{gateway_url}/ws/2/url", params={"resource": COMMA_URL})
    assert one.status_code == 200
    (url,) = ElementTree.fromstring(one.content)
    assert url.findtext("{http://musicbrainz.org/ns/mmd-2.0#}resource") == COMMA_URL
    missing = httpx.get(f"{gateway_url}/ws/2/url", params={"resource": unknown, "fmt": "json"})
    assert missing.status_code == 404
    assert musicbrainz_error(missing, as_json=True) == "Not Found"
    assert musicbrainz.emulator.calls == 3


# --- sleeve's own 400s -------------------------------------------------------------------

REPRESENTATIONS = [
    pytest.param("&fmt=json", {}, True, id="fmt-json"),
    pytest.param("&fmt=xml", JSON, False, id="fmt-xml-wins"),
    pytest.param("", JSON, True, id="accept-json"),
    pytest.param("", {}, False, id="xml-default"),
]
BAD_REQUESTS = [
    pytest.param("/ws/2/release/not-an-mbid?x=1", ("not-an-mbid",), id="bad-mbid"),
    pytest.param(f"/ws/2/release/{MISSING_MBID[:-1]}?x=1", ("mbid",), id="short-mbid"),
    pytest.param(f"{RELEASE_PATH}?inc=artists+bogus", ("bogus",), id="bad-inc"),
    pytest.param(f"{ARTIST_PATH}?inc=labels", ("labels",), id="inc-of-another-entity"),
    pytest.param(
        f"/ws/2/release?artist={ARTIST_MBID}&inc=recording-level-rels",
        ("recording-level-rels",),
        id="inc-a-browse-does-not-take",
    ),
    pytest.param("/ws/2/release?x=1", ("exactly one of", "artist"), id="browse-without-link"),
    pytest.param(
        f"/ws/2/release?artist={ARTIST_MBID}&label={LABEL_MBID}",
        ("exactly one of",),
        id="browse-with-two-links",
    ),
    pytest.param(
        f"/ws/2/release?work={WORK_MBID}", ("release cannot be browsed by work",), id="foreign"
    ),
    pytest.param(
        f"/ws/2/artist?artist={ARTIST_MBID}&work={WORK_MBID}",
        ("artist cannot be browsed by artist",),
        id="foreign-beside-a-link",
    ),
    pytest.param(f"/ws/2/release?artist={ARTIST_MBID[:-3]}", ("artist",), id="bad-link-mbid"),
    pytest.param("/ws/2/url?x=1", ("resource",), id="url-without-resource"),
]


@pytest.mark.parametrize(
    ("path", "said"),
    [
        (
            f"{ARTIST_PATH}?inc=foobar",
            "foobar is not a valid inc parameter for the artist resource.",
        ),
        (
            f"{RELEASE_PATH}?inc=artists+bogus+labels",
            "bogus is not a valid inc parameter for the release resource.",
        ),
        (
            f"/ws/2/release-group?artist={ARTIST_MBID}&inc=releases",
            "releases is not a valid inc parameter for the release-group resource.",
        ),
    ],
)
def test_a_bad_inc_is_refused_in_musicbrainz_own_words(
    gateway_url: str, musicbrainz: RunningMusicBrainz, path: str, said: str
) -> None:
    refused = httpx.get(f"{gateway_url}{path}&fmt=json")
    assert refused.status_code == 400
    assert refused.json()["error"] == said
    assert musicbrainz.emulator.calls == 0


def test_an_empty_inc_is_no_inc(gateway_url: str, musicbrainz: RunningMusicBrainz) -> None:
    """Clients send ``inc=`` on every lookup without includes; MusicBrainz skips empty
    items, and so does sleeve: the same answer, the same cache entry."""
    answers = [
        httpx.get(f"{gateway_url}{RELEASE_PATH}?{query}fmt=json")
        for query in ("inc=&", "", "inc=+&", "inc=%20&")
    ]
    assert [answer.status_code for answer in answers] == [200] * 4
    assert len({answer.content for answer in answers}) == 1
    assert musicbrainz.emulator.calls == 1


@pytest.mark.parametrize(("suffix", "headers", "as_json"), REPRESENTATIONS)
@pytest.mark.parametrize(("path", "words"), BAD_REQUESTS)
def test_bad_requests_are_answered_by_sleeve_in_the_asked_representation(
    gateway_url: str,
    musicbrainz: RunningMusicBrainz,
    path: str,
    words: tuple[str, ...],
    suffix: str,
    headers: dict[str, str],
    as_json: bool,
) -> None:
    answer = httpx.get(f"{gateway_url}{path}{suffix}", headers=headers)
    assert answer.status_code == 400, answer.text
    message = musicbrainz_error(answer, as_json=as_json)
    for word in words:
        assert word in message
    assert musicbrainz.emulator.calls == 0


# --- MusicBrainz' own answers: 404 and failures ------------------------------------------


def test_not_found_is_passed_on_and_cached_in_each_representation(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    path = f"/ws/2/recording/{MISSING_MBID}"
    for query, as_json in (("?fmt=json", True), ("", False)):
        answers = [httpx.get(f"{gateway_url}{path}{query}") for _ in range(2)]
        assert [a.status_code for a in answers] == [404, 404]
        assert [musicbrainz_error(a, as_json=as_json) for a in answers] == ["Not Found"] * 2
    assert musicbrainz.emulator.calls_by_path[path] == 2  # once per representation


@pytest.fixture(scope="module")
def fragile(
    discogs: RunningEmulator, musicbrainz: RunningMusicBrainz, coverart: RunningCoverArt
) -> Iterator[str]:
    """A gateway that gives MusicBrainz 0.5 s, one try, a breaker that stays closed, and
    keeps a 404 for half a second (and nothing stale)."""
    settings = metabrainz_settings(musicbrainz, coverart)
    settings["upstreams"]["musicbrainz"] |= {
        "timeout": 0.5,
        "attempts": 1,
        "breaker_failures": 1000,
    }
    with gateway(
        discogs.url,
        cache={"negative_ttl": 0.5, "stale_while_revalidate": 0, "stale_if_error": 0},
        server={"admin_token": ADMIN_TOKEN},
        **settings,
    ) as url:
        yield url


@pytest.fixture
def fragile_url(fragile: str, musicbrainz: RunningMusicBrainz) -> str:
    purged = httpx.post(
        f"{fragile}/_sleeve/cache/purge",
        json={"path": "/", "prefix": True},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert purged.status_code == 200, purged.text
    return fragile


def test_a_cached_404_is_asked_again_once_it_expires(
    fragile_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    url = f"{fragile_url}/ws/2/work/{MISSING_MBID}?fmt=json"
    assert [httpx.get(url).status_code for _ in range(3)] == [404] * 3
    assert musicbrainz.emulator.calls == 1
    time.sleep(0.6)
    assert httpx.get(url).status_code == 404
    assert musicbrainz.emulator.calls == 2


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "xml"])
def test_musicbrainz_rate_limiting_sleeve_is_a_503_with_its_retry_after(
    fragile_url: str, musicbrainz: RunningMusicBrainz, as_json: bool
) -> None:
    musicbrainz.emulator.set_mode("ratelimited", retry_after=7)
    answer = httpx.get(f"{fragile_url}{ARTIST_PATH}", headers=JSON if as_json else {})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "7"
    assert "MusicBrainz" in musicbrainz_error(answer, as_json=as_json)
    assert musicbrainz.emulator.calls == 1


@pytest.mark.parametrize(
    ("mode", "options", "status"),
    [
        pytest.param("error", {"status": 503}, 503, id="unavailable"),
        pytest.param("error", {"status": 500}, 502, id="server-error"),
        pytest.param("drop", {}, 502, id="dropped"),
        # Far slower than sleeve's 0.5 s, so a busy machine cannot blur the two.
        pytest.param("delay", {"seconds": 4}, 504, id="too-slow"),
        pytest.param("garbage", {}, 502, id="garbage-json"),
        pytest.param("garbage", {"body": b"[1, 2]"}, 502, id="json-not-an-object"),
    ],
)
def test_a_failing_musicbrainz_is_a_gateway_error_and_nothing_is_kept(
    fragile_url: str,
    musicbrainz: RunningMusicBrainz,
    mode: str,
    options: dict[str, object],
    status: int,
) -> None:
    musicbrainz.emulator.set_mode(mode, **options)
    url = f"{fragile_url}/ws/2/label/{LABEL_MBID}?fmt=json"
    started = time.monotonic()
    failed = httpx.get(url)
    assert time.monotonic() - started < 2  # a timeout is sleeve's 0.5 s, not the 4 s delay
    assert failed.status_code == status, failed.text
    assert musicbrainz_error(failed, as_json=True)
    if status == 503:
        assert int(failed.headers["retry-after"]) >= 1
    # One call (no retries here); aiohttp resends once on a dropped pooled connection.
    failed_calls = musicbrainz.emulator.calls
    assert failed_calls == 1 or (mode == "drop" and failed_calls == 2)
    musicbrainz.emulator.set_mode("ok")
    recovered = httpx.get(url)
    assert recovered.status_code == 200
    assert recovered.json()["id"] == LABEL_MBID
    assert cache_status(recovered) == "fwd=miss"  # the failure was not stored
    assert musicbrainz.emulator.calls == failed_calls + 1


@pytest.mark.parametrize(
    "body",
    [b"<html><body>502 Bad Gateway</body></html>", b"not xml at all", b""],
    ids=["html-page", "text", "empty"],
)
def test_an_answer_that_is_not_a_musicbrainz_document_is_never_kept_as_xml(
    fragile_url: str, musicbrainz: RunningMusicBrainz, body: bytes
) -> None:
    musicbrainz.emulator.set_mode("garbage", times=1, body=body)
    url = f"{fragile_url}/ws/2/recording/{RECORDING_MBID}"
    failed = httpx.get(url)
    assert failed.status_code == 502
    assert "not xml" in musicbrainz_error(failed, as_json=False)
    recovered = httpx.get(url)
    assert recovered.status_code == 200
    assert ElementTree.fromstring(recovered.content)[0].get("id") == RECORDING_MBID
    assert musicbrainz.emulator.calls == 2


@pytest.mark.parametrize(
    ("mode", "options", "status"),
    [("ratelimited", {"retry_after": 4}, 503), ("error", {"status": 500}, 502)],
    ids=["rate-limited", "server-error"],
)
def test_links_report_a_failing_musicbrainz_in_discogs_words(
    fragile_url: str,
    musicbrainz: RunningMusicBrainz,
    mode: str,
    options: dict[str, object],
    status: int,
) -> None:
    musicbrainz.emulator.set_mode(mode, **options)
    answer = httpx.get(f"{fragile_url}/releases/{DISCOGS_LINKED_RELEASE_ID}/musicbrainz")
    assert answer.status_code == status
    assert set(answer.json()) == {"message"}
    if status == 503:
        assert answer.headers["retry-after"] == "4"
    musicbrainz.emulator.set_mode("ok")
    recovered = httpx.get(f"{fragile_url}/releases/{DISCOGS_LINKED_RELEASE_ID}/musicbrainz")
    assert recovered.status_code == 200 and len(recovered.json()["musicbrainz"]) == 1
    assert musicbrainz.emulator.calls == 2


async def test_concurrent_identical_requests_make_one_upstream_call(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    musicbrainz.emulator.set_mode("delay", seconds=0.3, times=1)
    answers = await fetch_all([f"{gateway_url}{RELEASE_PATH}?inc=media&fmt=json"] * 6)
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.content for a in answers}) == 1
    assert musicbrainz.emulator.calls == 1


# --- links from Discogs ------------------------------------------------------------------


def test_a_discogs_release_links_to_its_musicbrainz_release_and_onwards(
    gateway_url: str, musicbrainz: RunningMusicBrainz, coverart: RunningCoverArt
) -> None:
    discogs_release = httpx.get(f"{gateway_url}/releases/{DISCOGS_LINKED_RELEASE_ID}")
    assert discogs_release.status_code == 200
    links_url = discogs_release.json()["musicbrainz_url"]
    assert links_url == f"{gateway_url}/releases/{DISCOGS_LINKED_RELEASE_ID}/musicbrainz"

    links = httpx.get(links_url)
    assert links.status_code == 200
    assert links.json()["discogs"] == DISCOGS_RELEASE_PAGE
    (release,) = links.json()["musicbrainz"]
    assert release["entity"] == "release"
    assert release["id"] == DISCOGS_LINKED_RELEASE_MBID
    assert release["name"] == "Fictional Frequencies"
    (sent,) = sent_queries(musicbrainz.emulator, "/ws/2/url")
    assert sent == {"resource": [DISCOGS_RELEASE_PAGE], "inc": [LINK_INCLUDES], "fmt": ["json"]}

    entity = httpx.get(release["url"])
    assert entity.status_code == 200 and entity.json()["id"] == DISCOGS_LINKED_RELEASE_MBID
    art = httpx.get(release["cover_art_url"])
    assert art.status_code == 200
    assert any(image["front"] for image in art.json()["images"])
    assert coverart.emulator.calls >= 1
    recordings = httpx.get(release["recordings_url"])
    assert recordings.status_code == 200
    titles = [r["title"] for r in recordings.json()["recordings"]]
    assert "Signal Test" in titles

    # Asked again, by sleeve or by a client asking MusicBrainz the same: no new call.
    assert httpx.get(links_url).json() == links.json()
    same = httpx.get(
        f"{gateway_url}/ws/2/url",
        params={"resource": DISCOGS_RELEASE_PAGE, "inc": LINK_INCLUDES.replace("+", " ")},
        headers=JSON,
    )
    assert same.status_code == 200 and cache_status(same) == "hit"
    assert musicbrainz.emulator.calls_by_path["/ws/2/url"] == 1


@pytest.mark.parametrize(
    ("path", "entity", "mbid"),
    [
        (
            f"/masters/{DISCOGS_LINKED_MASTER_ID}",
            "release-group",
            DISCOGS_LINKED_RELEASE_GROUP_MBID,
        ),
        (f"/artists/{DISCOGS_LINKED_ARTIST_ID}", "artist", ARTIST_MBID),
        (f"/labels/{DISCOGS_LINKED_LABEL_ID}", "label", LABEL_MBID),
    ],
    ids=["master", "artist", "label"],
)
def test_masters_artists_and_labels_link_to_their_counterparts(
    gateway_url: str, musicbrainz: RunningMusicBrainz, path: str, entity: str, mbid: str
) -> None:
    links = httpx.get(f"{gateway_url}{path}/musicbrainz")
    assert links.status_code == 200
    (link,) = links.json()["musicbrainz"]
    assert (link["entity"], link["id"]) == (entity, mbid)
    followed = httpx.get(link["url"])
    assert followed.status_code == 200 and followed.json()["id"] == mbid
    assert ("cover_art_url" in link) == (entity == "release-group")
    assert "recordings_url" not in link


def test_an_unlinked_release_has_no_counterparts_and_the_answer_is_cached(
    gateway_url: str, musicbrainz: RunningMusicBrainz
) -> None:
    url = f"{gateway_url}/releases/{DISCOGS_UNLINKED_RELEASE_ID}/musicbrainz"
    answers = [httpx.get(url) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    expected = f"https://www.discogs.com/release/{DISCOGS_UNLINKED_RELEASE_ID}"
    assert answers[0].json() == {"discogs": expected, "musicbrainz": []}
    assert answers[1].json() == answers[0].json()
    assert musicbrainz.emulator.calls == 1  # MusicBrainz' 404, kept


# --- governance: one call per second -----------------------------------------------------


def closest_gap(arrivals: list[float]) -> float:
    return min(later - earlier for earlier, later in itertools.pairwise(sorted(arrivals)))


# MusicBrainz' shipped settings keep a 0.1 s margin on its 1 s window: calls granted exactly
# 1 s apart can arrive closer and be refused. Setting another MusicBrainz setting (here
# ``base_url``, as for a mirror) keeps it.
SHIPPED_MARGIN = 0.1


def test_musicbrainz_defaults_survive_setting_its_base_url() -> None:
    settings = load_settings(upstreams={"musicbrainz": {"base_url": "http://mirror.test/ws/2"}})
    assert settings.upstreams.musicbrainz.window_margin == SHIPPED_MARGIN


@pytest.fixture
def strict_musicbrainz() -> Iterator[tuple[MusicBrainzEmulator, str]]:
    """An emulator that refuses (503) a second call within any one second, like MusicBrainz."""
    emulator = MusicBrainzEmulator(rate_limit=1, window_seconds=1.0)
    with EmulatorThread(emulator) as url:
        yield emulator, url


# Four different entities at once: three gaps of a second show they queue up, and each is
# a miss of its own (no single-flight shortcut).
LOOKUPS = [
    f"/ws/2/artist/{ARTIST_MBID}",
    f"/ws/2/label/{LABEL_MBID}",
    f"/ws/2/work/{WORK_MBID}",
    f"/ws/2/release/{DISCOGS_LINKED_RELEASE_MBID}",
]


async def fetch_all(urls: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30) as client:
        return list(await asyncio.gather(*(client.get(url) for url in urls)))


def assert_one_per_second(emulator: MusicBrainzEmulator, answers: list[httpx.Response]) -> None:
    """Never two calls within MusicBrainz' second, and no second wasted between them.

    The first is the emulator's to say: it refuses (503) a second call within any second
    on its own clock, and a refusal would show as a retry or as a failed answer. The
    second needs a clock: one sanity bound, a whole window above the pace sleeve keeps,
    which a busy machine does not reach and a limiter waiting twice as long does.
    """
    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers]
    assert emulator.calls == len(answers)  # no retry: MusicBrainz never refused a call
    arrivals = emulator.arrival_times()
    span = max(arrivals) - min(arrivals)
    paced = (len(answers) - 1) * (1 + SHIPPED_MARGIN)
    print(f"\n{len(answers)} calls in {span:.2f} s (paced {paced:.2f} s); "
          f"closest two {closest_gap(arrivals):.3f} s apart")  # fmt: skip
    assert span < paced + 1, f"{span:.2f} s: a second went unused"


async def test_concurrent_lookups_reach_musicbrainz_one_per_second(
    discogs: RunningEmulator, strict_musicbrainz: tuple[MusicBrainzEmulator, str]
) -> None:
    """At the shipped 1 s window and margin, against an emulator as strict as MusicBrainz."""
    emulator, url = strict_musicbrainz
    upstream = {"base_url": f"{url}/ws/2", "rate_limit": 1}
    with gateway(discogs.url, upstreams={"musicbrainz": upstream}) as sleeve:
        answers = await fetch_all([f"{sleeve}{path}?fmt=json" for path in LOOKUPS])
    assert_one_per_second(emulator, answers)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.mark.slow
async def test_two_processes_sharing_redis_keep_one_per_second_together(
    discogs: RunningEmulator,
    strict_musicbrainz: tuple[MusicBrainzEmulator, str],
    redis: RedisServer,
    tmp_path: pathlib.Path,
) -> None:
    """Two lookups at once through each process: either alone would keep 1/s, together
    only a shared limit does."""
    emulator, url = strict_musicbrainz
    limits = {
        "SLEEVE_UPSTREAMS__MUSICBRAINZ__BASE_URL": f"{url}/ws/2",
        "SLEEVE_UPSTREAMS__MUSICBRAINZ__RATE_LIMIT": "1",
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with gateway_processes(discogs.url, redis.url, logs, **limits) as gateways:
        urls = [f"{gateways[i % 2]}{path}" for i, path in enumerate(LOOKUPS)]
        answers = await fetch_all(urls)
    assert_one_per_second(emulator, answers)
