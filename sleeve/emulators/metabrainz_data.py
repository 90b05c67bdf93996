"""The MusicBrainz / Cover Art Archive emulators' sample catalogue: invented, deterministic.

Everything is made up and mirrors the Discogs emulator's catalogue ("The Example Ensemble"
on "Placeholder Records"), so tests can follow a Discogs id to its MusicBrainz twin through
``url-rels`` and on to its cover art. Only the *shapes* follow the real services. MBIDs are
``uuid5(NAMESPACE, "<kind>:<name>")`` and never collide with real ones by accident.

Entities are stored as their bare JSON documents (what a lookup without ``inc`` returns);
the links between them (artist credits, media, label info, relationships, ISRCs, aliases,
tags, cover art) live in side tables that ``musicbrainz_docs`` joins per ``inc``. Discs
(TOCs and the disc IDs libdiscid computes from them), CD stubs and the genre list are
tables of their own.

Ids worth knowing are exported as constants at the bottom of this module.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sleeve.test/emulators/metabrainz")
DISCOGS_WEB = "https://www.discogs.com"
KINDS = (
    "area",
    "artist",
    "event",
    "instrument",
    "label",
    "place",
    "recording",
    "release",
    "release-group",
    "series",
    "url",
    "work",
)

# Type ids the real schema uses for the few types clients tend to match on; any other type
# gets an invented (uuid5) id.
KNOWN_TYPE_IDS = {
    "Person": "b6e035f4-3ce9-331c-97df-83397230b0df",
    "Group": "e431f5f6-b5d2-343d-8b36-72607fffb74b",
    "Album": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
    "Single": "d6038452-8ee0-3f68-affc-2de9a1ede0b9",
    "Official": "4e304316-386d-3409-af2e-78857eec5cfe",
    "discogs:release": "4a78823c-1c53-4176-a5f3-58026c76f2bc",
    "discogs:release-group": "99e550f3-5ab4-3110-b5b9-fe01d970b126",
    "discogs:artist": "04a5b104-a4c2-4bac-99a1-7b837c37d9e4",
    "discogs:label": "5b987f87-25bc-4a2d-b3f1-3618795b8207",
}


def mbid(kind: str, name: str) -> str:
    """The invented MBID of ``name`` (unique within ``kind``)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def type_id(name: str | None) -> str | None:
    if name is None:
        return None
    return KNOWN_TYPE_IDS.get(name) or str(uuid.uuid5(NAMESPACE, f"type:{name}"))


@dataclass(frozen=True)
class Credit:
    """One name credit: who, as which name, followed by which join phrase."""

    artist: str
    name: str
    joinphrase: str = ""


@dataclass(frozen=True)
class Track:
    id: str
    position: int
    number: str
    title: str
    length: int | None
    recording: str


@dataclass(frozen=True)
class Medium:
    position: int
    format: str
    tracks: tuple[Track, ...]
    title: str = ""
    discs: tuple[str, ...] = ()  # the disc IDs of this medium


@dataclass(frozen=True)
class Disc:
    """A CD's table of contents, in sectors (1/75 s): where each track starts, and where
    the lead-out does (``sectors``, the disc's length)."""

    id: str
    sectors: int
    offsets: tuple[int, ...]

    @property
    def toc(self) -> str:
        """As libdiscid's ``toc_string`` writes it: ``1 last lead-out offset…``."""
        return " ".join(str(n) for n in (1, len(self.offsets), self.sectors, *self.offsets))


@dataclass(frozen=True)
class CdStub:
    """A disc someone submitted without adding a release: a title, an artist, tracks
    (``(title, length in ms)``)."""

    id: str
    title: str
    artist: str
    tracks: tuple[tuple[str, int], ...]
    barcode: str | None = None
    comment: str = ""


def disc_id(sectors: int, offsets: tuple[int, ...], first: int = 1) -> str:
    """The MusicBrainz disc ID of a TOC, computed as libdiscid does: SHA-1 over the first
    and last track numbers (two hex digits each), the lead-out and 99 track offsets (eight
    each, 0 for tracks the disc lacks), in base64 with ``+/=`` written ``._-``."""
    last = first + len(offsets) - 1
    padded = (*offsets, *([0] * (99 - len(offsets))))
    text = f"{first:02X}{last:02X}{sectors:08X}" + "".join(f"{o:08X}" for o in padded)
    digest = base64.b64encode(hashlib.sha1(text.encode("ascii")).digest()).decode("ascii")
    return digest.translate(str.maketrans("+/=", "._-"))


def disc_of(lengths: list[int], pregap: int = 150) -> Disc:
    """The disc holding tracks of these lengths (ms), one after the other from the usual
    two-second pregap: its offsets, lead-out and disc ID."""
    offsets, position = [], pregap
    for length in lengths:
        offsets.append(position)
        position += round(length * 75 / 1000)
    return Disc(disc_id(position, tuple(offsets)), position, tuple(offsets))


@dataclass(frozen=True)
class Relation:
    """A relationship ``source`` → ``target``; lookups of either end show it."""

    source_kind: str
    source: str
    target_kind: str
    target: str
    type: str
    type_id: str
    attributes: tuple[str, ...] = ()
    begin: str | None = None
    end: str | None = None
    ordering_key: int | None = None


@dataclass(frozen=True)
class CoverImage:
    """One image of a release in the Cover Art Archive (full size ``width`` x ``height``)."""

    id: str
    types: tuple[str, ...]
    front: bool = False
    back: bool = False
    comment: str = ""
    approved: bool = True
    edit: int = 0
    width: int = 1400
    height: int = 1400


@dataclass
class MetaBrainzCatalogue:
    """All sample data: bare documents per kind plus the link tables."""

    entities: dict[str, dict[str, Doc]] = field(default_factory=lambda: {k: {} for k in KINDS})
    credits: dict[str, list[Credit]] = field(default_factory=dict)
    release_group_of: dict[str, str] = field(default_factory=dict)
    label_info: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    media: dict[str, list[Medium]] = field(default_factory=dict)
    isrcs: dict[str, list[str]] = field(default_factory=dict)
    iswcs: dict[str, list[str]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    aliases: dict[str, list[Doc]] = field(default_factory=dict)
    tags: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    genres: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    ratings: dict[str, tuple[float, int]] = field(default_factory=dict)
    cover_art: dict[str, list[CoverImage]] = field(default_factory=dict)
    discs: dict[str, Disc] = field(default_factory=dict)
    cdstubs: dict[str, CdStub] = field(default_factory=dict)
    #: Every genre, ``(name, disambiguation)``; ``/ws/2/genre/all`` lists them by name.
    genre_list: list[tuple[str, str]] = field(default_factory=list)

    def kind_of(self, entity_id: str) -> str | None:
        return next((k for k, table in self.entities.items() if entity_id in table), None)

    def get(self, kind: str, entity_id: str) -> Doc | None:
        return self.entities.get(kind, {}).get(entity_id)

    def releases_in_group(self, group: str) -> list[str]:
        return [r for r, g in self.release_group_of.items() if g == group]

    def recordings_of_release(self, release: str) -> list[str]:
        seen: dict[str, None] = {}
        for medium in self.media.get(release, []):
            for track in medium.tracks:
                seen.setdefault(track.recording)
        return list(seen)

    def releases_with_recording(self, recording: str) -> list[str]:
        return [r for r in self.media if recording in self.recordings_of_release(r)]

    def releases_with_disc(self, disc: str) -> list[str]:
        return [r for r, media in self.media.items() if any(disc in m.discs for m in media)]

    def credited(self, entity_id: str, artist: str) -> bool:
        return any(c.artist == artist for c in self.credits.get(entity_id, []))

    def url_by_resource(self, resource: str) -> Doc | None:
        return next((u for u in self.entities["url"].values() if u["resource"] == resource), None)

    def release_group_art(self, group: str) -> str | None:
        """The release whose front image stands for the group (the first with a front)."""
        for release in sorted(self.releases_in_group(group), key=self._release_order):
            if any(image.front for image in self.cover_art.get(release, [])):
                return release
        return None

    def _release_order(self, release: str) -> tuple[str, str]:
        return (self.entities["release"][release].get("date") or "9999", release)

    def caa_summary(self, release: str) -> Doc:
        """The ``cover-art-archive`` block of a release document."""
        images = self.cover_art.get(release, [])
        return {
            "artwork": bool(images),
            "count": len(images),
            "front": any(i.front for i in images),
            "back": any(i.back for i in images),
            "darkened": False,
        }

    def discogs_links(self) -> dict[str, dict[int, str]]:
        """``{"release"|"master"|"artist"|"label": {discogs id: MBID}}`` from the url-rels."""
        links: dict[str, dict[int, str]] = {k: {} for k in ("release", "master", "artist", "label")}
        for relation in self.relations:
            if relation.target_kind != "url" or relation.type != "discogs":
                continue
            resource = self.entities["url"][relation.target]["resource"]
            kind, _, number = resource.removeprefix(DISCOGS_WEB + "/").partition("/")
            if kind in links:
                links[kind][int(number)] = relation.source
        return links


# --- building ---------------------------------------------------------------------------


class _Builder:
    """Small helpers that keep the catalogue below readable."""

    def __init__(self) -> None:
        self.cat = MetaBrainzCatalogue()
        self._image_serial = 40_000_000_000
        self._edit_serial = 90_000_000

    def add(self, kind: str, name: str, doc: Doc) -> str:
        entity_id = mbid(kind, name)
        self.cat.entities[kind][entity_id] = {"id": entity_id} | doc
        return entity_id

    def typed(self, type_name: str | None) -> Doc:
        return {"type": type_name, "type-id": type_id(type_name)}

    def area(self, name: str, type_name: str, codes: list[str]) -> str:
        doc: Doc = {"name": name, "sort-name": name, "disambiguation": ""}
        doc |= self.typed(type_name)
        if codes:
            doc["iso-3166-1-codes"] = codes
        return self.add("area", name, doc | {"life-span": _span()})

    def artist(self, name: str, sort_name: str, type_name: str, **extra: Any) -> str:
        doc: Doc = {"name": name, "sort-name": sort_name, "disambiguation": ""}
        doc |= self.typed(type_name)
        doc |= {"gender": None, "gender-id": None, "country": None, "area": None}
        doc |= {"begin-area": None, "end-area": None, "ipis": [], "isnis": []}
        doc |= {"life-span": _span()}
        return self.add("artist", name, doc | extra)

    def label(self, name: str, type_name: str, code: int | None, **extra: Any) -> str:
        doc: Doc = {"name": name, "sort-name": name, "disambiguation": "", "label-code": code}
        doc |= self.typed(type_name) | {"country": None, "area": None, "ipis": [], "isnis": []}
        return self.add("label", name, doc | {"life-span": _span()} | extra)

    def url(self, resource: str) -> str:
        return self.add("url", resource, {"resource": resource})

    def link_url(self, kind: str, entity_id: str, resource: str, type_name: str) -> None:
        url_id = self.cat.url_by_resource(resource)
        target = url_id["id"] if url_id else self.url(resource)
        known = KNOWN_TYPE_IDS.get(f"{type_name}:{kind}")
        self.relate(kind, entity_id, "url", target, type_name, known)

    def relate(
        self,
        source_kind: str,
        source: str,
        target_kind: str,
        target: str,
        type_name: str,
        known_type_id: str | None = None,
        **extra: Any,
    ) -> None:
        rel_type_id = known_type_id or type_id(f"rel:{source_kind}-{target_kind}:{type_name}")
        assert rel_type_id is not None
        relation = Relation(source_kind, source, target_kind, target, type_name, rel_type_id)
        self.cat.relations.append(_replace(relation, extra))

    def recording(self, artist: str, title: str, length: int, isrc: str | None = None) -> str:
        doc = {"title": title, "length": length, "disambiguation": "", "video": False}
        recording_id = self.add("recording", f"{artist}:{title}", doc)
        self.cat.credits[recording_id] = [Credit(artist, self.name_of(artist))]
        if isrc:
            self.cat.isrcs[recording_id] = [isrc]
        return recording_id

    def name_of(self, artist: str) -> str:
        return self.cat.entities["artist"][artist]["name"]

    def group(
        self, key: str, title: str, credits: list[Credit], primary: str, secondary: list[str]
    ) -> str:
        doc: Doc = {"title": title, "disambiguation": "", "first-release-date": ""}
        doc |= {"primary-type": primary, "primary-type-id": type_id(primary)}
        doc |= {"secondary-types": secondary, "secondary-type-ids": [type_id(s) for s in secondary]}
        group_id = self.add("release-group", key, doc)
        self.cat.credits[group_id] = credits
        return group_id

    def release(
        self,
        key: str,
        *,
        title: str,
        group: str,
        credits: list[Credit],
        date: str,
        country: tuple[str, str] | None,
        labels: list[tuple[str, str]],
        media: list[tuple[str, list[str]]],
        barcode: str | None = None,
        packaging: str | None = "Jewel Case",
    ) -> str:
        """A release; ``media`` lists (format, recording MBIDs) per medium."""
        doc: Doc = {"title": title, "status": "Official", "status-id": type_id("Official")}
        doc |= {"quality": "normal", "disambiguation": "", "packaging": packaging}
        doc |= {"packaging-id": type_id(packaging)}
        doc |= {"text-representation": {"language": "eng", "script": "Latn"}}
        doc |= {"date": date, "country": country[0] if country else None}
        events = [{"date": date, "area": self.area_ref(country[1])}] if country else []
        doc |= {"release-events": events, "barcode": barcode, "asin": None}
        release_id = self.add("release", key, doc)
        self.cat.credits[release_id] = credits
        self.cat.release_group_of[release_id] = group
        self.cat.label_info[release_id] = labels
        self.cat.media[release_id] = [
            Medium(position, fmt, self._tracks(release_id, position, recordings))
            for position, (fmt, recordings) in enumerate(media, start=1)
        ]
        group_doc = self.cat.entities["release-group"][group]
        if date and (not group_doc["first-release-date"] or date < group_doc["first-release-date"]):
            group_doc["first-release-date"] = date
        return release_id

    def _tracks(self, release: str, medium: int, recordings: list[str]) -> tuple[Track, ...]:
        tracks = []
        for position, recording_id in enumerate(recordings, start=1):
            recording = self.cat.entities["recording"][recording_id]
            track_id = mbid("track", f"{release}:{medium}:{position}")
            number = str(position)
            title, length = recording["title"], recording["length"]
            tracks.append(Track(track_id, position, number, title, length, recording_id))
        return tuple(tracks)

    def area_ref(self, area_id: str) -> Doc:
        doc = self.cat.entities["area"][area_id]
        keys = ("id", "name", "sort-name", "disambiguation", "iso-3166-1-codes", "type", "type-id")
        return {k: doc[k] for k in keys if k in doc}

    def image(
        self,
        types: tuple[str, ...],
        front: bool,
        back: bool,
        size: tuple[int, int],
        comment: str = "",
    ) -> CoverImage:
        """A cover image with the next file id and edit number (ids grow like the CAA's)."""
        self._image_serial += 1
        self._edit_serial += 1
        width, height = size
        image_id, edit = str(self._image_serial), self._edit_serial
        return CoverImage(image_id, types, front, back, comment, True, edit, width, height)

    def art(self, release: str, *images: CoverImage) -> None:
        self.cat.cover_art[release] = list(images)

    def disc(self, release: str, position: int) -> Disc:
        """A disc ID for the ``position``th medium of ``release``, from its track lengths."""
        media = self.cat.media[release]
        medium = media[position - 1]
        disc = disc_of([track.length or 0 for track in medium.tracks])
        self.cat.discs[disc.id] = disc
        media[position - 1] = dataclasses.replace(medium, discs=(*medium.discs, disc.id))
        return disc

    def cdstub(self, title: str, artist: str, tracks: list[tuple[str, int]], **extra: Any) -> str:
        disc = disc_of([length for _, length in tracks])
        self.cat.cdstubs[disc.id] = CdStub(disc.id, title, artist, tuple(tracks), **extra)
        return disc.id


def _span(begin: str | None = None, end: str | None = None) -> Doc:
    return {"begin": begin, "end": end, "ended": end is not None}


def _replace(relation: Relation, extra: dict[str, Any]) -> Relation:
    return dataclasses.replace(relation, **extra) if extra else relation


def build_catalogue() -> MetaBrainzCatalogue:
    """Build the whole sample catalogue (fresh objects each call; callers may mutate)."""
    from .metabrainz_sample import populate

    builder = _Builder()
    populate(builder)
    return builder.cat


# --- ids worth knowing (see metabrainz_sample for the story behind each) -----------------

ARTIST_MBID = mbid("artist", "The Example Ensemble")
SOLO_ARTIST_MBID = mbid("artist", "Jane Placeholder")
LABEL_MBID = mbid("label", "Placeholder Records")
DISCOGS_LINKED_RELEASE_ID = 1
DISCOGS_LINKED_RELEASE_MBID = mbid("release", "fictional-frequencies-uk-lp")
DISCOGS_LINKED_MASTER_ID = 1
DISCOGS_LINKED_RELEASE_GROUP_MBID = mbid("release-group", "fictional-frequencies")
DISCOGS_LINKED_ARTIST_ID = 1
DISCOGS_LINKED_LABEL_ID = 1
DISCOGS_UNLINKED_RELEASE_ID = 5  # "Untitled Demo": no MusicBrainz release links to it
# Cover art: front + back (+ a booklet page) on the Discogs-linked release.
RELEASE_WITH_ART_MBID = DISCOGS_LINKED_RELEASE_MBID
# No art of its own; its release group's front comes from the Japanese edition.
RELEASE_WITHOUT_ART_MBID = mbid("release", "second-draft-eu-cd")
RELEASE_GROUP_WITH_ART_MBID = mbid("release-group", "second-draft")
RELEASE_GROUP_ART_RELEASE_MBID = mbid("release", "second-draft-jp-cd")
# Art exists (a booklet scan), but nobody chose a front or back.
RELEASE_WITHOUT_FRONT_MBID = mbid("release", "solo-sketches-de-cd")
RELEASE_GROUP_WITHOUT_ART_MBID = mbid("release-group", "split-single")
RECORDING_MBID = mbid("recording", f"{ARTIST_MBID}:Signal Test")
RECORDING_ISRC = "ZZPH09800002"
WORK_MBID = mbid("work", "Signal Test")
AREA_MBID = mbid("area", "Sampletown")
PLACE_MBID = mbid("place", "Placeholder Hall")
# A URL with commas in it (linked from the place): `resource` values must not be split.
COMMA_URL = "https://maps.example.test/place?ll=51.0,-1.0&z=12,5"
EVENT_MBID = mbid("event", "Placeholder Festival 2000")
INSTRUMENT_MBID = mbid("instrument", "placeholder harp")
SERIES_MBID = mbid("series", "Placeholder Essentials")
WORK_ISWC = "T-900.000.001-1"  # "Signal Test"
# The Second Draft EU CD's disc (4 tracks), and the first disc of the Fictional Frequencies
# US 2xCD (the same 5 tracks as the UK LP, whose vinyl has no disc ID but fits the TOC).
DISC_RELEASE_MBID = RELEASE_WITHOUT_ART_MBID
DISC = disc_of([233_000, 251_000, 198_000, 301_000])
DISC_ID, DISC_TOC = DISC.id, DISC.toc
FF_CD_RELEASE_MBID = mbid("release", "fictional-frequencies-us-cd")
FF_CD_DISC = disc_of([201_000, 245_000, 312_000, 188_000, 276_000])
# A CD stub, nobody's release: the Example Ensemble's demo (Discogs release 5, no twin).
CDSTUB_TRACKS = [("Demo One", 180_000), ("Demo Two", 205_000), ("Demo Three", 164_000)]
CDSTUB_DISC_ID = disc_of([length for _, length in CDSTUB_TRACKS]).id
GENRES = [
    ("ambient", ""),
    ("drone", ""),
    ("electronic", ""),
    ("experimental", ""),
    ("field recording", ""),
    ("krautrock", ""),
    ("minimal", "the electronic music, not minimalism"),
    ("post-rock", ""),
    ("shoegaze", ""),
    ("sound art", ""),
]
# 30 releases in one group by one artist: enough to page through browse answers.
PAGING_ARTIST_MBID = mbid("artist", "Nameless Test Pattern")
PAGING_RELEASE_GROUP_MBID = mbid("release-group", "test-patterns")
PAGING_RELEASE_COUNT = 30


def linked_discogs_ids(catalogue: MetaBrainzCatalogue | None = None) -> dict[str, dict[int, str]]:
    """Which Discogs ids the catalogue links to: ``{"release": {1: mbid, …}, "master": …,
    "artist": …, "label": …}``. Any Discogs id not listed has no MusicBrainz twin."""
    return (catalogue or build_catalogue()).discogs_links()
