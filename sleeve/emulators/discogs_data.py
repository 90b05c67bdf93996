"""The Discogs emulator's sample catalogue: made-up artists, labels, masters and releases.

Everything here is invented ("The Example Ensemble" on "Placeholder Records"); only the
*shapes* follow real Discogs answers, including their gaps: optional keys are left out
rather than set to null (``realname``, ``urls``, ``images``, ``notes``, ``master_id``),
``lowest_price`` and ``country`` can be null, ``year`` is an int in releases but a string
in search results, ``formats[].qty`` is a string.

Documents are stored as the API would send them to an authenticated client with the
``discogs`` markup variant, with API URLs under the placeholder ``API_ROOT``. The emulator
rebases those URLs onto its own address per request, strips images for anonymous callers
and renders markup for the ``html``/``plaintext`` variants. ``API_ROOT`` is deliberately
not a real host: a URL the emulator forgot to rebase fails loudly instead of reaching the
real Discogs.

Ids worth knowing (see also ``Catalogue``):
- artist 1 (group, members 2/4/5) has 128 entries in ``/artists/1/releases``;
  artist 2 is solo with ``realname``; artist 3 has no profile/images/urls/realname/namevariations.
- master 1 has 64 versions (main release 1); master 4 points at a deleted main release.
- label 1 has more than 100 releases and sublabel 2; label 2 has ``parent_label`` 1.
- releases 5 and 6 (and 2001-2125) have no master; release 4 and 5 have ``lowest_price: null``.
- ``build_catalogue(extra_releases=N)`` adds releases 100001-… with a cover each (opt-in).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

API_ROOT = "https://api.discogs.test"
WEB_ROOT = "https://www.discogs.com"
IMAGE_ROOT = "https://i.discogs.test"

Doc = dict[str, Any]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Fixed USD exchange rates for ``curr_abbr``: enough to see that the parameter matters.
CURRENCY_RATES = {
    "USD": 1.0,
    "GBP": 0.8,
    "EUR": 0.9,
    "CAD": 1.35,
    "AUD": 1.5,
    "JPY": 150.0,
    "CHF": 0.88,
    "MXN": 17.0,
    "BRL": 5.0,
    "NZD": 1.6,
    "SEK": 10.5,
    "ZAR": 18.0,
}

USERS_WITH_RATINGS: dict[str, dict[int, int]] = {
    "example_collector": {1: 5, 2: 4, 3: 3, 1001: 4},
    "placeholder_fan": {1: 4, 3: 5, 6: 2},
}
# Users who exist but rated nothing: their rating answers carry ``rating: 0``.
USERS_WITHOUT_RATINGS = frozenset({"quiet_listener"})


# --- small shape builders -------------------------------------------------------------


def slug(text: str) -> str:
    """Discogs' web slugs: words joined by dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _signed_image_url(path: str, quality: int, width: int, height: int) -> str:
    """An i.discogs.com-style URL whose first segment looks like a signature of the rest."""
    rest = f"rs:fit/g:sm/q:{quality}/h:{height}/w:{width}/" + base64.urlsafe_b64encode(
        path.encode()
    ).decode().rstrip("=")
    signature = base64.urlsafe_b64encode(hashlib.sha256(rest.encode()).digest()).decode()
    return f"{IMAGE_ROOT}/{signature.rstrip('=')}/{rest}.jpeg"


def images(prefix: str, entity_id: int, sizes: Iterable[tuple[int, int]]) -> list[Doc]:
    """Image objects; the first is ``primary``, the others ``secondary``."""
    result = []
    for number, (width, height) in enumerate(sizes, start=1):
        path = f"discogs-images/{prefix}-{entity_id}-{number}.jpeg"
        uri = _signed_image_url(path, 90, width, height)
        result.append(
            {
                "type": "primary" if number == 1 else "secondary",
                "uri": uri,
                "resource_url": uri,
                "uri150": _signed_image_url(path, 40, 150, 150),
                "width": width,
                "height": height,
            }
        )
    return result


def thumb_of(doc: Doc) -> str:
    """The 150px thumbnail of a document's primary image, or "" like Discogs."""
    return doc["images"][0]["uri150"] if doc.get("images") else ""


def released_formatted(released: str) -> str:
    """``1998-03-12`` → ``12 Mar 1998``; partial dates keep what they have."""
    parts = [p for p in released.split("-") if p and p != "00"]
    if len(parts) == 3:
        return f"{int(parts[2]):02d} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0] if parts else ""


def artist_credit(artist: Doc, join: str = "", role: str = "", tracks: str = "") -> Doc:
    """An entry of a release's ``artists``/``extraartists``."""
    credit = {
        "name": artist["name"],
        "anv": "",
        "join": join,
        "role": role,
        "tracks": tracks,
        "id": artist["id"],
        "resource_url": artist["resource_url"],
    }
    if artist.get("images"):
        credit["thumbnail_url"] = artist["images"][0]["uri"]
    return credit


def label_credit(label: Doc, catno: str, entity_type: str = "1", type_name: str = "Label") -> Doc:
    """An entry of a release's ``labels`` (or ``companies`` with another entity type)."""
    return {
        "name": label["name"],
        "catno": catno,
        "entity_type": entity_type,
        "entity_type_name": type_name,
        "id": label["id"],
        "resource_url": label["resource_url"],
    }


def tracklist(
    titles: list[str], durations: list[str] | None = None, heading: str = ""
) -> list[Doc]:
    """Side A/B positions, like a vinyl tracklist; an optional ``heading`` row first."""
    rows: list[Doc] = []
    if heading:
        rows.append({"position": "", "type_": "heading", "title": heading, "duration": ""})
    half = (len(titles) + 1) // 2
    for index, title in enumerate(titles):
        side, number = ("A", index + 1) if index < half else ("B", index - half + 1)
        duration = durations[index] if durations else f"{3 + index % 4}:{(17 * index) % 60:02d}"
        rows.append(
            {"position": f"{side}{number}", "type_": "track", "title": title, "duration": duration}
        )
    return rows


def user_ref(username: str) -> Doc:
    return {"username": username, "resource_url": f"{API_ROOT}/users/{username}"}


# --- artists and labels ---------------------------------------------------------------


def _artist_base(artist_id: int, name: str, data_quality: str = "Correct") -> Doc:
    return {
        "id": artist_id,
        "name": name,
        "resource_url": f"{API_ROOT}/artists/{artist_id}",
        "uri": f"{WEB_ROOT}/artist/{artist_id}-{slug(name)}",
        "releases_url": f"{API_ROOT}/artists/{artist_id}/releases",
        "data_quality": data_quality,
    }


def _member(artist: Doc, active: bool) -> Doc:
    return {
        "id": artist["id"],
        "name": artist["name"],
        "resource_url": artist["resource_url"],
        "active": active,
    }


def build_artists() -> dict[int, Doc]:
    """Five artists: a group, its members, and one with almost nothing known."""
    jane = _artist_base(2, "Jane Placeholder") | {
        "realname": "Jane Quinn Placeholder",
        "profile": "[b]Jane Placeholder[/b] sings and writes for [a1]. Her solo records "
        "come out on [l=Placeholder Archive Series].",
        "urls": ["https://jane-placeholder.test"],
        "namevariations": ["J. Placeholder", "Jane P."],
        "images": images("A", 2, [(600, 600)]),
    }
    sam = _artist_base(4, "Sam Sample") | {
        "realname": "Samuel Sample",
        "profile": "Drummer and producer. Founded [l1] with [a2].",
        "namevariations": ["S. Sample"],
    }
    dee = _artist_base(5, "Dee Default", "Needs Vote") | {"profile": "", "namevariations": []}
    ensemble = _artist_base(1, "The Example Ensemble") | {
        "profile": "[a=The Example Ensemble] are a made-up quartet formed in 1995 around "
        "[a2] and [a4]. Their debut [r1] came out on [l1] & friends.\r\n\r\n"
        "See [url=https://example-ensemble.test]the band's site[/url] for [i]everything[/i].",
        "urls": ["https://example-ensemble.test", "https://video.example.test/ensemble"],
        "namevariations": ["Example Ensemble", "The Examples", "TEE"],
        "members": [_member(jane, True), _member(sam, True), _member(dee, False)],
        "images": images("A", 1, [(600, 600), (500, 333)]),
    }
    jane["groups"] = [_member(ensemble, True)]
    bare = _artist_base(3, "Nameless Test Pattern", "Needs Vote")
    return {a["id"]: a for a in (ensemble, jane, bare, sam, dee)}


def _label_base(label_id: int, name: str, data_quality: str = "Correct") -> Doc:
    return {
        "id": label_id,
        "name": name,
        "resource_url": f"{API_ROOT}/labels/{label_id}",
        "uri": f"{WEB_ROOT}/label/{label_id}-{slug(name)}",
        "releases_url": f"{API_ROOT}/labels/{label_id}/releases",
        "data_quality": data_quality,
    }


def _label_ref(label: Doc) -> Doc:
    return {"id": label["id"], "name": label["name"], "resource_url": label["resource_url"]}


def build_labels() -> dict[int, Doc]:
    """A parent label with a sublabel, and a label with only the required fields."""
    parent = _label_base(1, "Placeholder Records")
    archive = _label_base(2, "Placeholder Archive Series", "Needs Vote")
    parent |= {
        "profile": "Independent label run by [a=Sam Sample] since 1996. Reissues go out on "
        "[l2]; early pressings were made for [l=Mock Tone Music].",
        "contact_info": "Placeholder Records\r\n1 Example Street\r\nSampletown",
        "urls": ["https://placeholder-records.test"],
        "images": images("L", 1, [(600, 400)]),
        "sublabels": [_label_ref(archive)],
    }
    archive |= {
        "profile": "Reissue imprint of [l1].",
        "urls": ["https://placeholder-records.test/archive"],
        "parent_label": _label_ref(parent),
    }
    bare = _label_base(3, "Mock Tone Music", "Needs Vote")
    return {label["id"]: label for label in (parent, archive, bare)}


# --- releases -------------------------------------------------------------------------


@dataclass(kw_only=True)
class ReleaseSpec:
    """The facts that vary between releases; ``build_release`` fills in the rest."""

    id: int
    title: str
    artists: list[tuple[int, str]]  # (artist id, join string)
    labels: list[tuple[int, str]]  # (label id, catno)
    format: str
    descriptions: list[str]
    released: str
    country: str | None
    tracks: list[str]
    master_id: int | None = None
    notes: str | None = None
    lowest_price: float | None = 9.99
    num_for_sale: int = 3
    image_sizes: list[tuple[int, int]] = field(default_factory=list)
    extraartists: list[tuple[int, str]] = field(default_factory=list)  # (artist id, role)
    genres: list[str] = field(default_factory=lambda: ["Electronic"])
    styles: list[str] = field(default_factory=lambda: ["Ambient"])
    barcode: str = ""
    have_want: tuple[int, int] = (10, 5)
    rating: tuple[int, float] = (2, 4.0)


def build_release(spec: ReleaseSpec, artists: dict[int, Doc], labels: dict[int, Doc]) -> Doc:
    """A full release document in the shape of ``GET /releases/{id}``."""
    credits = [artist_credit(artists[a], join) for a, join in spec.artists]
    doc: Doc = {
        "id": spec.id,
        "status": "Accepted",
        "year": int(spec.released[:4]) if spec.released else 0,
        "resource_url": f"{API_ROOT}/releases/{spec.id}",
        "uri": f"{WEB_ROOT}/release/{spec.id}-{slug(_artist_line(credits) + ' ' + spec.title)}",
        "artists": credits,
        "artists_sort": _artist_line(credits),
        "labels": [label_credit(labels[lid], catno) for lid, catno in spec.labels],
        "series": [],
        "formats": [{"name": spec.format, "qty": "1", "descriptions": spec.descriptions}],
        "data_quality": "Correct" if spec.notes else "Needs Vote",
        "community": _community(spec),
        "format_quantity": 1,
        "date_added": f"2012-0{1 + spec.id % 9}-1{spec.id % 10}T10:0{spec.id % 10}:00-07:00",
        "date_changed": "2024-05-06T07:08:09-07:00",
        "num_for_sale": spec.num_for_sale,
        "lowest_price": spec.lowest_price,
        "title": spec.title,
        "country": spec.country,
        "identifiers": _identifiers(spec),
        "videos": [],
        "genres": spec.genres,
        "styles": spec.styles,
        "tracklist": tracklist(spec.tracks),
        "estimated_weight": 230 if spec.format == "Vinyl" else 85,
        "blocked_from_sale": False,
        "is_offensive": False,
    }
    return _add_optional_release_fields(doc, spec, artists)


def _add_optional_release_fields(doc: Doc, spec: ReleaseSpec, artists: dict[int, Doc]) -> Doc:
    """Keys Discogs leaves out when there is nothing to say."""
    if spec.released:
        doc["released"] = spec.released
        doc["released_formatted"] = released_formatted(spec.released)
    if spec.master_id is not None:
        doc["master_id"] = spec.master_id
        doc["master_url"] = f"{API_ROOT}/masters/{spec.master_id}"
    if spec.notes is not None:
        doc["notes"] = spec.notes
    if spec.extraartists:
        doc["extraartists"] = [artist_credit(artists[a], role=r) for a, r in spec.extraartists]
    if spec.image_sizes:
        doc["images"] = images("R", spec.id, spec.image_sizes)
    doc["thumb"] = thumb_of(doc)
    return doc


def _artist_line(credits: list[Doc]) -> str:
    """``The Example Ensemble / Jane Placeholder``: names with their join strings."""
    line = ""
    for credit in credits:
        line += credit["name"] + (f" {credit['join']} " if credit["join"] else "")
    return line.strip()


def _community(spec: ReleaseSpec) -> Doc:
    have, want = spec.have_want
    count, average = spec.rating
    return {
        "have": have,
        "want": want,
        "rating": {"count": count, "average": average},
        "submitter": user_ref("example_collector"),
        "contributors": [user_ref("example_collector"), user_ref("placeholder_fan")],
        "data_quality": "Correct" if spec.notes else "Needs Vote",
        "status": "Accepted",
    }


def _identifiers(spec: ReleaseSpec) -> list[Doc]:
    rows = [{"type": "Matrix / Runout", "value": f"{spec.labels[0][1]} A", "description": "Side A"}]
    if spec.barcode:
        rows.insert(0, {"type": "Barcode", "value": spec.barcode})
    return rows


def handwritten_release_specs() -> list[ReleaseSpec]:
    """Releases 1-7: the ones tests look at closely."""
    return [
        ReleaseSpec(
            id=1,
            title="Fictional Frequencies",
            artists=[(1, "")],
            labels=[(1, "PH-001")],
            format="Vinyl",
            descriptions=["LP", "Album"],
            released="1998-03-12",
            country="UK",
            tracks=[
                "Opening Placeholder",
                "Signal Test",
                "Mock Horizon",
                "Dummy Load",
                "Closing Placeholder",
            ],
            master_id=1,
            lowest_price=14.5,
            num_for_sale=12,
            image_sizes=[(600, 600), (600, 590)],
            barcode="5012345678900",
            notes="Recorded at the Placeholder Hall, produced by [a4].\r\n\r\n"
            "Pressed for [l=Placeholder Records]; the first CD edition is [r1001]. "
            "[b]Limited[/b] to 500 copies.",
            extraartists=[(4, "Producer"), (2, "Vocals")],
            have_want=(420, 310),
            rating=(25, 4.52),
        ),
        ReleaseSpec(
            id=2,
            title="Second Draft",
            artists=[(1, "")],
            labels=[(1, "PH-010")],
            format="CD",
            descriptions=["Album"],
            released="2001-10",
            country="Europe",
            tracks=["Draft One", "Draft Two", "Revision", "Final Draft"],
            master_id=2,
            notes="Enhanced CD.",
            image_sizes=[(600, 600)],
            barcode="5012345678917",
            genres=["Rock"],
            styles=["Post Rock"],
            have_want=(150, 80),
            rating=(9, 3.89),
        ),
        ReleaseSpec(
            id=3,
            title="Solo Sketches",
            artists=[(2, "")],
            labels=[(2, "PAS-003")],
            format="CD",
            descriptions=["Album"],
            released="2004",
            country="Germany",
            tracks=["Sketch 1", "Sketch 2", "Sketch 3"],
            master_id=3,
            image_sizes=[(500, 500)],
            notes="Written by [a2] between tours with [a=The Example Ensemble].",
            genres=["Folk, World, & Country"],
            styles=["Folk"],
            rating=(3, 4.0),
        ),
        ReleaseSpec(
            id=4,
            title="Solo Sketches",
            artists=[(2, "")],
            labels=[(2, "PAS-003R")],
            format="Vinyl",
            descriptions=["LP", "Reissue"],
            released="2010-06-01",
            country="US",
            tracks=["Sketch 1", "Sketch 2", "Sketch 3", "Sketch 4 (Bonus)"],
            master_id=3,
            lowest_price=None,
            num_for_sale=0,
            image_sizes=[(600, 600)],
            genres=["Folk, World, & Country"],
            styles=["Folk"],
            rating=(0, 0.0),
        ),
        ReleaseSpec(
            id=5,
            title="Untitled Demo",
            artists=[(3, "")],
            labels=[(3, "MTM-0")],
            format="Cassette",
            descriptions=["Demo"],
            released="",
            country=None,
            tracks=["Untitled", "Untitled"],
            lowest_price=None,
            num_for_sale=0,
            have_want=(2, 7),
            rating=(0, 0.0),
            genres=["Electronic"],
            styles=["Noise"],
        ),
        ReleaseSpec(
            id=6,
            title="Split Single",
            artists=[(1, "/"), (2, "")],
            labels=[(3, "MTM-7")],
            format="Vinyl",
            descriptions=['7"', "Single"],
            released="2003-09-00",
            country="UK",
            tracks=["Ensemble Side", "Jane Side"],
            image_sizes=[(600, 600)],
            notes="Split release: side A by [a1], side B by [a2]. Sleeve by [a=Dee Default].",
            extraartists=[(5, "Artwork")],
            genres=["Rock"],
            styles=["Indie Rock"],
        ),
        ReleaseSpec(
            id=7,
            title="Second Draft",
            artists=[(1, "")],
            labels=[(1, "PHJ-010")],
            format="CD",
            descriptions=["Album"],
            released="2002-02-20",
            country="Japan",
            tracks=["Draft One", "Draft Two", "Revision", "Final Draft", "Bonus Draft"],
            master_id=2,
            notes="Japanese edition with obi.",
            lowest_price=31.0,
            genres=["Rock"],
            styles=["Post Rock"],
        ),
    ]


VERSION_COUNTRIES = ("UK", "US", "Germany", "Japan", "France", "Netherlands", "Canada", "Europe")
VERSION_FORMATS = (
    ("Vinyl", ["LP", "Album", "Reissue"]),
    ("CD", ["Album", "Remastered"]),
    ("Cassette", ["Album"]),
    ("File", ["FLAC", "Album"]),
)


def version_specs(count: int = 63) -> list[ReleaseSpec]:
    """Releases 1001-1063: reissues of master 1, so its versions list needs several pages."""
    specs = []
    for n in range(1, count + 1):
        fmt, descriptions = VERSION_FORMATS[n % len(VERSION_FORMATS)]
        label_id = 2 if n % 4 == 0 else 1
        specs.append(
            ReleaseSpec(
                id=1000 + n,
                title="Fictional Frequencies",
                artists=[(1, "")],
                labels=[(label_id, f"PH-001-{n:02d}")],
                format=fmt,
                descriptions=descriptions,
                released=f"{1998 + n % 20}-0{1 + n % 9}-00",
                country=VERSION_COUNTRIES[n % len(VERSION_COUNTRIES)],
                tracks=["Opening Placeholder", "Signal Test", "Mock Horizon", "Dummy Load"],
                master_id=1,
                lowest_price=round(5 + n * 0.75, 2),
                image_sizes=[(600, 600)],
                genres=["Electronic", "Rock"],
                styles=["Ambient", "Post Rock"],
                have_want=(n * 3, n),
                rating=(n % 7, round(3 + (n % 20) / 10, 2)),
            )
        )
    return specs


STANDALONE_WORDS = (
    "Live At The Placeholder Hall",
    "Example Session",
    "Sample Rate",
    "Test Signal",
    "Mock Up",
    "Draft Dub",
)


def standalone_specs(count: int = 125) -> list[ReleaseSpec]:
    """Releases 2001-2125: singles and live tapes by artist 1 with no master."""
    specs = []
    for n in range(1, count + 1):
        fmt, descriptions = VERSION_FORMATS[(n * 3) % len(VERSION_FORMATS)]
        label_id, catno = (1, f"PH-S{n:03d}") if n % 2 else (3, f"MTM-{n:03d}")
        specs.append(
            ReleaseSpec(
                id=2000 + n,
                title=f"{STANDALONE_WORDS[n % len(STANDALONE_WORDS)]} No. {n}",
                artists=[(1, "")],
                labels=[(label_id, catno)],
                format=fmt,
                descriptions=descriptions,
                released=str(1996 + n % 25),
                country=VERSION_COUNTRIES[(n * 5) % len(VERSION_COUNTRIES)],
                tracks=[f"Part {n}", f"Part {n} (Dub)"],
                image_sizes=[(500, 500)] if n % 3 else [],
                lowest_price=round(2 + n * 0.1, 2),
                genres=["Electronic"],
                styles=["Dub" if n % 2 else "Ambient"],
            )
        )
    return specs


GENERATED_FIRST_ID = 100_001  # far above the hand-made and listed ranges (1-2125)


def generated_specs(count: int) -> list[ReleaseSpec]:
    """Releases 100001-…: a bulk of plain CDs by artist 3 on label 3, each with one cover.

    Only for catalogues asked to be larger (``build_catalogue(extra_releases=…)``), such
    as the image long-tail benchmark's: enough distinct covers for a daily image budget to
    run out. Artist 3 and label 3 carry them, so artist 1's and label 1's lists (which the
    tests count) stay the same even then.
    """
    return [
        ReleaseSpec(
            id=GENERATED_FIRST_ID + n,
            title=f"Bulk Placeholder {n + 1}",
            artists=[(3, "")],
            labels=[(3, f"MTM-B{n + 1:05d}")],
            format="CD",
            descriptions=["Album"],
            released=str(1990 + n % 30),
            country=VERSION_COUNTRIES[n % len(VERSION_COUNTRIES)],
            tracks=[f"Bulk Track {n + 1}"],
            image_sizes=[(500, 500)],
        )
        for n in range(count)
    ]


# --- masters --------------------------------------------------------------------------


def build_master(
    master_id: int, main: Doc, extra: Doc | None = None, main_release_id: int | None = None
) -> Doc:
    """A master document derived from its main release (as on Discogs, where they agree)."""
    main_id = main_release_id if main_release_id is not None else main["id"]
    title = (extra or {}).get("title", main["title"])
    doc: Doc = {
        "id": master_id,
        "main_release": main_id,
        "most_recent_release": main_id,
        "resource_url": f"{API_ROOT}/masters/{master_id}",
        "uri": f"{WEB_ROOT}/master/{master_id}-{slug(main['artists_sort'] + ' ' + title)}",
        "versions_url": f"{API_ROOT}/masters/{master_id}/versions",
        "main_release_url": f"{API_ROOT}/releases/{main_id}",
        "most_recent_release_url": f"{API_ROOT}/releases/{main_id}",
        "num_for_sale": main["num_for_sale"],
        "lowest_price": main["lowest_price"],
        "genres": main["genres"],
        "styles": main["styles"],
        "year": main["year"],
        "tracklist": main["tracklist"],
        "artists": main["artists"],
        "title": title,
        "data_quality": "Correct",
    }
    if main.get("images"):
        doc["images"] = main["images"]
    return doc | (extra or {})


def build_masters(releases: dict[int, Doc]) -> dict[int, Doc]:
    """Masters 1-3 with real main releases; master 4's main release has been deleted."""
    masters = {
        1: build_master(
            1,
            releases[1],
            {
                "notes": "The debut of [a1]. Other editions: [m2] is the follow-up.",
                "videos": [
                    {
                        "uri": "https://video.example.test/watch?v=ff01",
                        "title": "The Example Ensemble - Signal Test",
                        "description": "Official video",
                        "duration": 245,
                        "embed": True,
                    }
                ],
                "most_recent_release": 1063,
                "most_recent_release_url": f"{API_ROOT}/releases/1063",
            },
        ),
        2: build_master(2, releases[2]),
        3: build_master(3, releases[3]),
        4: build_master(
            4, releases[5], {"title": "Lost Tapes", "year": 1994}, main_release_id=999999
        ),
    }
    return masters


# --- list entries ---------------------------------------------------------------------


def _stats(release: Doc) -> Doc:
    community = release["community"]
    return {"community": {"in_wantlist": community["want"], "in_collection": community["have"]}}


def format_line(release: Doc) -> str:
    """``Vinyl, LP, Album``: a release's formats as list endpoints print them."""
    fmt = release["formats"][0]
    return ", ".join([fmt["name"], *fmt["descriptions"]])


def version_entry(release: Doc) -> Doc:
    """One row of ``/masters/{id}/versions``."""
    label = release["labels"][0]
    return {
        "id": release["id"],
        "label": label["name"],
        "country": release["country"],
        "title": release["title"],
        "major_formats": [release["formats"][0]["name"]],
        "format": ", ".join(release["formats"][0]["descriptions"]),
        "catno": label["catno"],
        "released": release.get("released", ""),
        "status": release["status"],
        "resource_url": release["resource_url"],
        "thumb": release["thumb"],
        "stats": _stats(release),
    }


VERSION_FILTERS = {
    "format": "Format",
    "label": "Label",
    "country": "Country",
    "released": "Released",
}


def version_facets(entry: Doc) -> dict[str, list[str]]:
    """The values a version offers to each ``/masters/{id}/versions`` filter."""
    return {
        "format": [*entry["major_formats"], *(d for d in entry["format"].split(", ") if d)],
        "label": [entry["label"]],
        "country": [entry["country"]] if entry["country"] else [],
        "released": [entry["released"][:4]] if entry["released"] else [],
    }


def filter_versions(versions: list[Doc], applied: dict[str, str]) -> list[Doc]:
    """Versions matching every applied filter (case-insensitive, exact values)."""
    return [
        v
        for v in versions
        if all(_any_equals(version_facets(v)[name], value) for name, value in applied.items())
    ]


def version_filters(versions: list[Doc], applied: dict[str, str]) -> tuple[Doc, list[Doc]]:
    """The ``filters`` block and ``filter_facets`` list of a versions answer."""
    available: dict[str, dict[str, int]] = {name: {} for name in VERSION_FILTERS}
    for version in versions:
        for name, values in version_facets(version).items():
            for value in dict.fromkeys(values):
                available[name][value] = available[name].get(value, 0) + 1
    facets = [
        {
            "title": title,
            "id": name,
            "allows_multiple_values": True,
            "values": [
                {"title": v, "value": quote_plus(v), "count": n} for v, n in available[name].items()
            ],
        }
        for name, title in VERSION_FILTERS.items()
    ]
    filters = {"applied": {k: [v] for k, v in applied.items()}, "available": available}
    return filters, facets


def label_release_entry(release: Doc, label_id: int) -> Doc:
    """One row of ``/labels/{id}/releases``."""
    catno = next(lc["catno"] for lc in release["labels"] if lc["id"] == label_id)
    return {
        "status": release["status"],
        "format": format_line(release),
        "catno": catno,
        "thumb": release["thumb"],
        "resource_url": release["resource_url"],
        "title": release["title"],
        "id": release["id"],
        "year": release["year"],
        "artist": release["artists_sort"],
        "stats": _stats(release),
    }


def artist_release_entry(release: Doc, role: str) -> Doc:
    """A release row of ``/artists/{id}/releases`` (releases outside any master)."""
    return {
        "id": release["id"],
        "status": release["status"],
        "type": "release",
        "format": format_line(release),
        "label": release["labels"][0]["name"],
        "title": release["title"],
        "resource_url": release["resource_url"],
        "role": role,
        "artist": release["artists_sort"],
        "year": release["year"],
        "thumb": release["thumb"],
        "stats": _stats(release),
    }


def artist_master_entry(master: Doc, main: Doc | None, role: str) -> Doc:
    """A master row of ``/artists/{id}/releases``: one row stands for all its versions."""
    return {
        "id": master["id"],
        "title": master["title"],
        "type": "master",
        "main_release": master["main_release"],
        "artist": _artist_line(master["artists"]),
        "role": role,
        "resource_url": master["resource_url"],
        "year": master["year"],
        "thumb": thumb_of(master),
        "stats": _stats(main) if main else {"community": {"in_wantlist": 0, "in_collection": 0}},
    }


# --- search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchEntry:
    """A search result plus the hidden facets the filters look at."""

    doc: Doc
    artist: str = ""
    release_title: str = ""
    credits: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()


def _search_common(doc: Doc, kind: str, title: str, uri: str, image_doc: Doc) -> Doc:
    primary = image_doc.get("images", [{}])[0]
    return {
        "id": doc["id"],
        "type": kind,
        "user_data": {"in_wantlist": False, "in_collection": False},
        "uri": uri,
        "title": title,
        "thumb": primary.get("uri150", ""),
        "cover_image": primary.get("uri", ""),
        "resource_url": doc["resource_url"],
    }


def search_name_entry(doc: Doc, kind: str) -> SearchEntry:
    """An artist or label result; they have no master, so those keys are null."""
    uri = f"/{kind}/{doc['id']}-{slug(doc['name'])}"
    result = _search_common(doc, kind, doc["name"], uri, doc)
    result |= {"master_id": None, "master_url": None}
    return SearchEntry(result, artist=doc["name"] if kind == "artist" else "")


def search_release_entry(release: Doc, kind: str, doc: Doc) -> SearchEntry:
    """A release or master result; ``doc`` is the release or the master itself."""
    title = f"{release['artists_sort']} - {doc['title']}"
    uri = f"/{slug(title)}/{kind}/{doc['id']}"
    master_id = release.get("master_id") if kind == "release" else doc["id"]
    result = _search_common(doc, kind, title, uri, doc) | {
        "country": release["country"] or "",
        "format": [release["formats"][0]["name"], *release["formats"][0]["descriptions"]],
        "label": [lc["name"] for lc in release["labels"]],
        "genre": doc["genres"],
        "style": doc["styles"],
        "barcode": [i["value"] for i in release["identifiers"]],
        "master_id": master_id or 0,
        "master_url": f"{API_ROOT}/masters/{master_id}" if master_id else None,
        "catno": release["labels"][0]["catno"],
        "community": {"want": release["community"]["want"], "have": release["community"]["have"]},
    }
    if doc["year"]:  # unknown years are left out, not null
        result["year"] = str(doc["year"])
    if kind == "release":
        result |= {"format_quantity": release["format_quantity"], "formats": release["formats"]}
    return SearchEntry(
        result,
        artist=release["artists_sort"],
        release_title=doc["title"],
        credits=tuple(c["name"] for c in release.get("extraartists", [])),
        tracks=tuple(t["title"] for t in release["tracklist"]),
    )


def _contains(haystack: str | None, needle: str) -> bool:
    return needle.lower() in (haystack or "").lower()


def _any_contains(values: Iterable[str] | None, needle: str) -> bool:
    return any(_contains(v, needle) for v in values or ())


def _any_equals(values: Iterable[str] | None, needle: str) -> bool:
    return any((v or "").lower() == needle.lower() for v in values or ())


def matches(entry: SearchEntry, field_name: str, value: str) -> bool:
    """Whether one search filter accepts ``entry``; results without the field never match.

    Filters we don't model (``anv``, ``submitter``, ``contributor``, …) accept everything.
    """
    doc = entry.doc
    checks = {
        "q": lambda: _contains(doc["title"], value),
        "type": lambda: doc["type"] == value.lower(),
        "title": lambda: _contains(doc["title"], value),
        "release_title": lambda: _contains(entry.release_title, value),
        "artist": lambda: _contains(entry.artist, value),
        "credit": lambda: _any_contains(entry.credits, value),
        "track": lambda: _any_contains(entry.tracks, value),
        "label": lambda: (
            _any_contains(doc.get("label"), value)
            or (doc["type"] == "label" and _contains(doc["title"], value))
        ),
        "year": lambda: doc.get("year") == value,
        "country": lambda: _any_equals([doc.get("country") or ""], value),
        "genre": lambda: _any_equals(doc.get("genre"), value),
        "style": lambda: _any_equals(doc.get("style"), value),
        "format": lambda: _any_equals(doc.get("format"), value),
        "catno": lambda: _contains(doc.get("catno"), value),
        "barcode": lambda: _any_contains(doc.get("barcode"), value),
    }
    check = checks.get(field_name)
    return check() if check else True


def search(index: Iterable[SearchEntry], filters: dict[str, str]) -> list[Doc]:
    """Results of ``/database/search`` for the given (non-empty) filters, in index order."""
    active = {k: v for k, v in filters.items() if v}
    return [e.doc for e in index if all(matches(e, k, v) for k, v in active.items())]


# --- the catalogue --------------------------------------------------------------------


@dataclass
class Catalogue:
    """All sample data plus the derived lists the list endpoints serve."""

    artists: dict[int, Doc]
    labels: dict[int, Doc]
    masters: dict[int, Doc]
    releases: dict[int, Doc]
    user_ratings: dict[str, dict[int, int]]
    users: frozenset[str]

    def name_of(self, kind: str, entity_id: int) -> str | None:
        """Display name for markup like ``[a1]`` (kind is a, l, r or m)."""
        table = {"a": self.artists, "l": self.labels, "r": self.releases, "m": self.masters}
        doc = table[kind].get(entity_id)
        return None if doc is None else doc.get("name") or doc.get("title")

    def statistics(self) -> dict[str, int]:
        return {
            "artists": len(self.artists),
            "labels": len(self.labels),
            "releases": len(self.releases),
        }

    def master_versions(self, master_id: int) -> list[Doc]:
        """Versions in release-date order, as Discogs lists them by default."""
        versions = [
            version_entry(r) for r in self.releases.values() if r.get("master_id") == master_id
        ]
        return sorted(versions, key=lambda v: (v["released"], v["id"]))

    def label_releases(self, label_id: int) -> list[Doc]:
        return [
            label_release_entry(r, label_id)
            for r in self.releases.values()
            if any(lc["id"] == label_id for lc in r["labels"])
        ]

    def artist_releases(self, artist_id: int) -> list[Doc]:
        """Masters once each, releases outside masters, and credits; sorted by year."""
        entries = [
            artist_master_entry(m, self.releases.get(m["main_release"]), "Main")
            for m in self.masters.values()
            if any(a["id"] == artist_id for a in m["artists"])
        ]
        for release in self.releases.values():
            role = _role_of(release, artist_id)
            if role and not (role == "Main" and "master_id" in release):
                entries.append(artist_release_entry(release, role))
        return sorted(entries, key=lambda e: (e["year"], e["title"], e["id"]))

    @functools.cached_property
    def search_index(self) -> list[SearchEntry]:
        entries = [search_name_entry(a, "artist") for a in self.artists.values()]
        for master in self.masters.values():
            main = self.releases.get(master["main_release"])
            if main is not None:
                entries.append(search_release_entry(main, "master", master))
        entries += [search_release_entry(r, "release", r) for r in self.releases.values()]
        entries += [search_name_entry(label, "label") for label in self.labels.values()]
        return entries


def _role_of(release: Doc, artist_id: int) -> str | None:
    """How an artist figures on a release: ``Main``, a credit role, or not at all."""
    if any(a["id"] == artist_id for a in release["artists"]):
        return "Main"
    for credit in release.get("extraartists", []):
        if credit["id"] == artist_id:
            return credit["role"]
    return None


def build_catalogue(extra_releases: int = 0) -> Catalogue:
    """Build the whole sample catalogue (fresh objects each call; callers may mutate).

    ``extra_releases`` adds that many generated releases with a cover each (ids from
    ``GENERATED_FIRST_ID``), for benchmarks that need more images than the sample has;
    the default is exactly the sample catalogue the tests know.
    """
    if extra_releases < 0:
        raise ValueError(f"extra_releases must be >= 0, not {extra_releases}")
    artists = build_artists()
    labels = build_labels()
    specs = handwritten_release_specs() + version_specs() + standalone_specs()
    specs += generated_specs(extra_releases)
    releases = {s.id: build_release(s, artists, labels) for s in specs}
    return Catalogue(
        artists=artists,
        labels=labels,
        masters=build_masters(releases),
        releases=releases,
        user_ratings={user: dict(r) for user, r in USERS_WITH_RATINGS.items()},
        users=frozenset(USERS_WITH_RATINGS) | USERS_WITHOUT_RATINGS,
    )


def price_in(currency: str | None, usd: float | None) -> float | None:
    """A USD price in ``curr_abbr``; unknown currencies are ignored like on Discogs."""
    if usd is None:
        return None
    rate = CURRENCY_RATES.get((currency or "USD").upper(), 1.0)
    return round(usd * rate, 2)
