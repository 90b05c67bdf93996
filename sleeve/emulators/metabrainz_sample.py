"""The invented contents of the MetaBrainz catalogue (see ``metabrainz_data``).

The story, mirrored from the Discogs emulator's catalogue:
- The Example Ensemble (Discogs artist 1; members Jane Placeholder = 2, Sam Sample = 4,
  Dee Default who left in 2000) on Placeholder Records (Discogs label 1) and its imprint
  Placeholder Archive Series (Discogs label 2).
- "Fictional Frequencies" (Discogs master 1): the UK LP (Discogs release 1, cover art with
  front, back and booklet) and a US 2xCD (Discogs release 1001, front only).
- "Second Draft" (master 2): the EU CD (release 2) has no art; the Japanese CD (release 7)
  has a front, which therefore stands for the release group.
- "Solo Sketches" by Jane (master 3): the German CD (release 3) has only a booklet scan,
  no front or back; the US LP (release 4) has no art.
- "Split Single" (Discogs release 6, no master) has a release group without any art.
- "Test Patterns": 30 digital releases by Nameless Test Pattern, for paging browse answers.
- Discogs release 5 ("Untitled Demo") has no MusicBrainz twin; its CD is a CD stub.
- Disc IDs: the Second Draft EU CD, and the first CD of the Fictional Frequencies US 2xCD.
- "Signal Test" (the work) has the ISWC T-900.000.001-1; The Example Ensemble's first five
  recordings have the ISRCs ZZPH09800001 to ZZPH09800005.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .metabrainz_data import (
    CDSTUB_TRACKS,
    COMMA_URL,
    DISCOGS_WEB,
    GENRES,
    PAGING_RELEASE_COUNT,
    Credit,
    mbid,
)

if TYPE_CHECKING:
    from .metabrainz_data import _Builder


def populate(b: _Builder) -> None:
    """Fill ``b.cat`` with every entity and link of the sample catalogue."""
    areas = _areas(b)
    artists = _artists(b, areas)
    labels = _labels(b, areas)
    recordings = _recordings(b, artists)
    _releases(b, areas, artists, labels, recordings)
    _works(b, artists, recordings)
    _places_events_instruments_series(b, areas, artists, recordings)
    _discs_and_genres(b)


def _areas(b: _Builder) -> dict[str, str]:
    areas = {
        "GB": b.area("United Kingdom", "Country", ["GB"]),
        "XE": b.area("Europe", "Country", ["XE"]),
        "JP": b.area("Japan", "Country", ["JP"]),
        "DE": b.area("Germany", "Country", ["DE"]),
        "US": b.area("United States", "Country", ["US"]),
        "XW": b.area("[Worldwide]", "Country", ["XW"]),
    }
    areas["town"] = b.area("Sampletown", "City", [])
    b.relate("area", areas["GB"], "area", areas["town"], "part of")
    return areas


def _artists(b: _Builder, areas: dict[str, str]) -> dict[str, str]:
    uk, town = b.area_ref(areas["GB"]), b.area_ref(areas["town"])
    ensemble = b.artist(
        "The Example Ensemble",
        "Example Ensemble, The",
        "Group",
        country="GB",
        area=uk,
        **{"begin-area": town, "life-span": {"begin": "1995", "end": None, "ended": False}},
    )
    jane = b.artist("Jane Placeholder", "Placeholder, Jane", "Person", country="GB", area=uk)
    b.cat.entities["artist"][jane] |= {"gender": "Female", "gender-id": mbid("gender", "F")}
    sam = b.artist("Sam Sample", "Sample, Sam", "Person", country="GB", area=uk)
    b.cat.entities["artist"][sam] |= {"gender": "Male", "gender-id": mbid("gender", "M")}
    dee = b.artist("Dee Default", "Default, Dee", "Person")
    b.cat.entities["artist"][dee]["disambiguation"] = "early drummer of The Example Ensemble"
    ada = b.artist("Ada Invented", "Invented, Ada", "Person", country="DE")
    pattern = b.artist("Nameless Test Pattern", "Nameless Test Pattern", "Other")
    for member, end in ((jane, None), (sam, None), (dee, "2000")):
        b.relate("artist", member, "artist", ensemble, "member of band", begin="1995", end=end)
    for discogs_id, artist in ((1, ensemble), (2, jane), (4, sam)):
        b.link_url("artist", artist, f"{DISCOGS_WEB}/artist/{discogs_id}", "discogs")
    b.link_url("artist", ensemble, "https://example-ensemble.test/", "official homepage")
    b.cat.aliases[ensemble] = [
        {
            "name": "The Examples",
            "sort-name": "Examples, The",
            "type": "Search hint",
            "type-id": mbid("alias-type", "Search hint"),
            "locale": None,
            "primary": None,
            "begin": None,
            "end": None,
            "ended": False,
        }
    ]
    b.cat.tags[ensemble] = [("ambient", 3), ("placeholder", 1)]
    b.cat.genres[ensemble] = [("ambient", 3)]
    b.cat.ratings[ensemble] = (4.5, 6)
    b.cat.annotations[ensemble] = "An invented band; it exists only in sleeve's tests."
    names = {"ensemble": ensemble, "jane": jane, "sam": sam, "dee": dee, "ada": ada}
    return names | {"pattern": pattern}


def _labels(b: _Builder, areas: dict[str, str]) -> dict[str, str]:
    uk = b.area_ref(areas["GB"])
    records = b.label("Placeholder Records", "Original Production", 99901, country="GB", area=uk)
    archive = b.label("Placeholder Archive Series", "Imprint", None, country="GB", area=uk)
    b.relate("label", records, "label", archive, "imprint")
    for discogs_id, label in ((1, records), (2, archive)):
        b.link_url("label", label, f"{DISCOGS_WEB}/label/{discogs_id}", "discogs")
    return {"records": records, "archive": archive}


RECORDINGS = {
    "ensemble": [
        ("Opening Placeholder", 201_000),
        ("Signal Test", 245_000),
        ("Mock Horizon", 312_000),
        ("Dummy Load", 188_000),
        ("Closing Placeholder", 276_000),
        ("Draft One", 233_000),
        ("Draft Two", 251_000),
        ("Revision", 198_000),
        ("Final Draft", 301_000),
        ("Bonus Draft", 175_000),
        ("Ensemble Side", 180_000),
    ],
    "jane": [
        ("Sketch 1", 150_000),
        ("Sketch 2", 162_000),
        ("Sketch 3", 171_000),
        ("Sketch 4 (Bonus)", 143_000),
        ("Jane Side", 190_000),
    ],
}


def _recordings(b: _Builder, artists: dict[str, str]) -> dict[str, str]:
    recordings: dict[str, str] = {}
    for who, rows in RECORDINGS.items():
        for number, (title, length) in enumerate(rows, start=1):
            isrc = f"ZZPH0980000{number}" if who == "ensemble" and number <= 5 else None
            recordings[title] = b.recording(artists[who], title, length, isrc)
    signal = recordings["Signal Test"]
    b.relate("artist", artists["sam"], "recording", signal, "producer")
    b.relate("artist", artists["jane"], "recording", signal, "vocal", attributes=("lead vocals",))
    b.cat.tags[signal] = [("ambient", 2)]
    b.cat.ratings[signal] = (5.0, 2)
    for n in range(1, PAGING_RELEASE_COUNT + 1):
        title = f"Test Pattern No. {n}"
        recordings[title] = b.recording(artists["pattern"], title, 60_000 + n * 1000)
    return recordings


def _releases(
    b: _Builder,
    areas: dict[str, str],
    artists: dict[str, str],
    labels: dict[str, str],
    recordings: dict[str, str],
) -> None:
    ensemble = [Credit(artists["ensemble"], "The Example Ensemble")]
    jane = [Credit(artists["jane"], "Jane Placeholder")]
    split = [
        Credit(artists["ensemble"], "The Example Ensemble", " / "),
        Credit(artists["jane"], "Jane Placeholder"),
    ]

    def tracks(*titles: str) -> list[str]:
        return [recordings[t] for t in titles]

    ff_tracks = tracks(*(t for t, _ in RECORDINGS["ensemble"][:5]))
    draft_tracks = tracks("Draft One", "Draft Two", "Revision", "Final Draft")
    sketches = tracks("Sketch 1", "Sketch 2", "Sketch 3")

    ff = b.group("fictional-frequencies", "Fictional Frequencies", ensemble, "Album", [])
    ff_uk = b.release(
        "fictional-frequencies-uk-lp",
        title="Fictional Frequencies",
        group=ff,
        credits=ensemble,
        date="1998-03-12",
        country=("GB", areas["GB"]),
        labels=[(labels["records"], "PH-001")],
        media=[('12" Vinyl', ff_tracks)],
        barcode="5012345678900",
        packaging="Gatefold Cover",
    )
    b.art(
        ff_uk,
        b.image(("Front",), True, False, (1400, 1400)),
        b.image(("Back",), False, True, (1400, 1240)),
        b.image(("Booklet",), False, False, (1200, 1600), "inner pages"),
    )
    ff_us = b.release(
        "fictional-frequencies-us-cd",
        title="Fictional Frequencies",
        group=ff,
        credits=ensemble,
        date="1999-02",
        country=("US", areas["US"]),
        labels=[(labels["records"], "PH-001CD")],
        media=[("CD", ff_tracks), ("CD", tracks("Signal Test", "Mock Horizon"))],
        barcode="5012345678901",
    )
    b.art(ff_us, b.image(("Front",), True, False, (1400, 1400)))
    drafts = b.group("second-draft", "Second Draft", ensemble, "Album", [])
    b.release(
        "second-draft-eu-cd",
        title="Second Draft",
        group=drafts,
        credits=ensemble,
        date="2001-10",
        country=("XE", areas["XE"]),
        labels=[(labels["records"], "PH-010")],
        media=[("CD", draft_tracks)],
        barcode="5012345678917",
    )
    draft_jp = b.release(
        "second-draft-jp-cd",
        title="Second Draft",
        group=drafts,
        credits=ensemble,
        date="2002-02-20",
        country=("JP", areas["JP"]),
        labels=[(labels["records"], "PHJ-010")],
        media=[("CD", [*draft_tracks, recordings["Bonus Draft"]])],
    )
    b.art(
        draft_jp,
        b.image(("Front",), True, False, (1400, 1400)),
        b.image(("Obi",), False, False, (300, 1400)),
    )
    solo = b.group("solo-sketches", "Solo Sketches", jane, "Album", [])
    solo_de = b.release(
        "solo-sketches-de-cd",
        title="Solo Sketches",
        group=solo,
        credits=jane,
        date="2004",
        country=("DE", areas["DE"]),
        labels=[(labels["archive"], "PAS-003")],
        media=[("CD", sketches)],
    )
    b.art(solo_de, b.image(("Booklet",), False, False, (1400, 1400), "scan of the inlay"))
    b.release(
        "solo-sketches-us-lp",
        title="Solo Sketches",
        group=solo,
        credits=jane,
        date="2010-06-01",
        country=("US", areas["US"]),
        labels=[(labels["archive"], "PAS-003R")],
        media=[('12" Vinyl', [*sketches, recordings["Sketch 4 (Bonus)"]])],
        packaging="Cardboard/Paper Sleeve",
    )
    single = b.group("split-single", "Split Single", split, "Single", [])
    split_uk = b.release(
        "split-single-uk-7in",
        title="Split Single",
        group=single,
        credits=split,
        date="2003-09",
        country=("GB", areas["GB"]),
        labels=[],
        media=[('7" Vinyl', tracks("Ensemble Side", "Jane Side"))],
        packaging="Cardboard/Paper Sleeve",
    )
    _test_patterns(b, areas, artists, recordings)
    links = [("release", ff_uk, "release/1"), ("release", ff_us, "release/1001")]
    links += [("release", draft_jp, "release/7"), ("release", solo_de, "release/3")]
    links += [("release", split_uk, "release/6")]
    links += [(k, mbid(k, key), path) for k, key, path in _MORE_LINKS]
    links += [("release-group", ff, "master/1"), ("release-group", drafts, "master/2")]
    links += [("release-group", solo, "master/3")]
    for kind, entity_id, path in links:
        b.link_url(kind, entity_id, f"{DISCOGS_WEB}/{path}", "discogs")
    b.cat.tags[ff_uk] = [("ambient", 1)]
    b.cat.tags[ff] = [("ambient", 4), ("debut", 1)]
    b.cat.genres[ff] = [("ambient", 4)]
    b.cat.ratings[ff] = (4.0, 3)
    b.cat.annotations[ff_uk] = "First pressing, 500 copies."


_MORE_LINKS = [
    ("release", "second-draft-eu-cd", "release/2"),
    ("release", "solo-sketches-us-lp", "release/4"),
]


def _test_patterns(
    b: _Builder, areas: dict[str, str], artists: dict[str, str], recordings: dict[str, str]
) -> None:
    credit = [Credit(artists["pattern"], "Nameless Test Pattern")]
    group = b.group("test-patterns", "Test Patterns", credit, "Other", ["Compilation"])
    for n in range(1, PAGING_RELEASE_COUNT + 1):
        b.release(
            f"test-pattern-{n}",
            title=f"Test Pattern No. {n}",
            group=group,
            credits=credit,
            date=f"2005-{(n - 1) // 28 + 1:02d}-{(n - 1) % 28 + 1:02d}",
            country=("XW", areas["XW"]),
            labels=[],
            media=[("Digital Media", [recordings[f"Test Pattern No. {n}"]])],
            packaging="None",
        )


def _works(b: _Builder, artists: dict[str, str], recordings: dict[str, str]) -> None:
    for title, iswc, composer in (
        ("Signal Test", "T-900.000.001-1", "ada"),
        ("Sketch 1", "T-900.000.002-2", "jane"),
    ):
        doc = {"title": title, "disambiguation": "", "language": "eng", "languages": ["eng"]}
        doc |= b.typed("Song") | {"iswcs": [iswc], "attributes": []}
        work = b.add("work", title, doc)
        b.relate("artist", artists[composer], "work", work, "composer")
        b.relate("recording", recordings[title], "work", work, "performance")
    b.relate("artist", artists["jane"], "work", mbid("work", "Signal Test"), "lyricist")


def _places_events_instruments_series(
    b: _Builder, areas: dict[str, str], artists: dict[str, str], recordings: dict[str, str]
) -> None:
    hall = b.add(
        "place",
        "Placeholder Hall",
        {"name": "Placeholder Hall", "disambiguation": "", "address": "1 Example Street"}
        | b.typed("Venue")
        | {"area": b.area_ref(areas["town"])}
        | {"coordinates": {"latitude": 51.0, "longitude": -1.0}}
        | {"life-span": {"begin": "1990", "end": None, "ended": False}},
    )
    b.relate("recording", recordings["Signal Test"], "place", hall, "recorded at")
    b.link_url("place", hall, COMMA_URL, "geo")
    festival = b.add(
        "event",
        "Placeholder Festival 2000",
        {"name": "Placeholder Festival 2000", "disambiguation": "", "time": "19:00"}
        | b.typed("Festival")
        | {"cancelled": False, "setlist": ""}
        | {"life-span": {"begin": "2000-07-01", "end": "2000-07-02", "ended": True}},
    )
    b.relate("event", festival, "place", hall, "held at")
    b.relate("artist", artists["ensemble"], "event", festival, "main performer")
    harp = b.add(
        "instrument",
        "placeholder harp",
        {"name": "placeholder harp", "disambiguation": ""}
        | b.typed("String instrument")
        | {"description": "An invented instrument with strings made of placeholder text."},
    )
    b.link_url("instrument", harp, "https://wiki.example.test/placeholder-harp", "wikidata")
    series = b.add(
        "series",
        "Placeholder Essentials",
        {"name": "Placeholder Essentials", "disambiguation": ""} | b.typed("Release group series"),
    )
    for key, group in enumerate(("fictional-frequencies", "second-draft"), start=1):
        b.relate(
            "release-group",
            mbid("release-group", group),
            "series",
            series,
            "part of",
            attributes=("number",),
            ordering_key=key,
        )


def _discs_and_genres(b: _Builder) -> None:
    b.disc(mbid("release", "second-draft-eu-cd"), 1)
    b.disc(mbid("release", "fictional-frequencies-us-cd"), 1)
    b.cdstub("Untitled Demo", "The Example Ensemble", CDSTUB_TRACKS, comment="demo CD-R")
    b.cat.genre_list = list(GENRES)
