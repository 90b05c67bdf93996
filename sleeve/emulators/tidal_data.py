"""The invented catalogue the TIDAL emulator serves, linked to the other emulators' one.

The same story as the Discogs and MetaBrainz samples, as a streaming service would hold it:
one digital edition per album, found by the physical editions' barcodes and the
recordings' ISRCs, so a gateway can join a Discogs release or a MusicBrainz release to a
TIDAL album (barcode) and a MusicBrainz recording to a TIDAL track (ISRC).

- The Example Ensemble and Jane Placeholder (Discogs artists 1 and 2).
- "Fictional Frequencies" (barcode of Discogs release 1 / the UK LP), 5 tracks with the
  ISRCs ZZPH09800001-5 the MusicBrainz recordings carry.
- "Second Draft" (barcode of Discogs release 2 / the EU CD), 4 tracks.
- "Solo Sketches" by Jane, 3 tracks: the physical editions have no barcode, so its
  digital barcode is TIDAL's own (a valid EAN-13 that no other emulator knows).

Only the Fictional Frequencies ISRCs exist elsewhere; the others (ZZPH001…, ZZPH004…)
are TIDAL's alone, as a real catalogue would have ISRCs nobody else lists. Durations are
the MusicBrainz recordings' lengths. Ids are numeric strings, as TIDAL's are, from ranges
no real id is likely to need in a test; artwork ids are opaque strings, as TIDAL's are.

Pure data and look-ups; the JSON:API documents are built by ``tidal``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sleeve.test/emulators/tidal")

# (title, seconds, ISRC) per album, in running order; one volume each.
FICTIONAL_FREQUENCIES = (
    ("Opening Placeholder", 201, "ZZPH09800001"),
    ("Signal Test", 245, "ZZPH09800002"),
    ("Mock Horizon", 312, "ZZPH09800003"),
    ("Dummy Load", 188, "ZZPH09800004"),
    ("Closing Placeholder", 276, "ZZPH09800005"),
)
SECOND_DRAFT = (
    ("Draft One", 233, "ZZPH00100001"),
    ("Draft Two", 251, "ZZPH00100002"),
    ("Revision", 198, "ZZPH00100003"),
    ("Final Draft", 301, "ZZPH00100004"),
)
SOLO_SKETCHES = (
    ("Sketch 1", 150, "ZZPH00400001"),
    ("Sketch 2", 162, "ZZPH00400002"),
    ("Sketch 3", 171, "ZZPH00400003"),
)

ENSEMBLE_ARTIST_ID = "5550001"
ENSEMBLE_NAME = "The Example Ensemble"
SOLO_ARTIST_ID = "5550002"
SOLO_ARTIST_NAME = "Jane Placeholder"
RECORDS_PROVIDER_ID = "5551"  # Placeholder Records (Discogs label 1)
ARCHIVE_PROVIDER_ID = "5552"  # Placeholder Archive Series (Discogs label 2)

FICTIONAL_FREQUENCIES_ALBUM_ID = "555000101"
FICTIONAL_FREQUENCIES_BARCODE = "5012345678900"
FICTIONAL_FREQUENCIES_TRACK_IDS = tuple(str(555000201 + n) for n in range(5))
FICTIONAL_FREQUENCIES_ISRCS = tuple(isrc for _, _, isrc in FICTIONAL_FREQUENCIES)
SECOND_DRAFT_ALBUM_ID = "555000102"
SECOND_DRAFT_BARCODE = "5012345678917"
SECOND_DRAFT_TRACK_IDS = tuple(str(555000211 + n) for n in range(4))
SOLO_SKETCHES_ALBUM_ID = "555000103"
SOLO_SKETCHES_BARCODE = "0023456789015"  # the iTunes UPC-A, as an EAN-13
SOLO_SKETCHES_TRACK_IDS = tuple(str(555000221 + n) for n in range(3))
SIGNAL_TEST_TRACK_ID = FICTIONAL_FREQUENCIES_TRACK_IDS[1]
SIGNAL_TEST_ISRC = "ZZPH09800002"

SAMPLE_COUNTRY_CODE = "GB"
UNKNOWN_ID = "999999999"  # no resource of any type has it

COVER_SIZES = (1280, 1080, 750, 640, 320, 160, 80)  # what TIDAL lists for an album cover
PICTURE_SIZES = (750, 480, 320, 160)  # an artist's profile picture (guess; fewer sizes)


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit of 12 digits (weights 1, 3, 1, 3, … from the left)."""
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(first12))
    return (10 - total % 10) % 10


def valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == int(code[12])


def same_barcode(a: str, b: str) -> bool:
    """UPC-A, EAN-13 and GTIN-14 forms of one code differ only in leading zeros (TIDAL has
    answered ``00602475093060`` for a 12-digit UPC), so compare without them."""
    return a.isdigit() and b.isdigit() and a.lstrip("0") == b.lstrip("0")


@dataclass(frozen=True)
class Artwork:
    """Square image files of one picture; served by the emulator under ``image_path``."""

    id: str
    sizes: tuple[int, ...]

    @property
    def image_path(self) -> str:
        """``d55c740a/fc2c/4352/ad58/ffd1bce34b87``: the CDN's path form of a UUID."""
        return str(uuid.uuid5(NAMESPACE, f"artwork:{self.id}")).replace("-", "/")


@dataclass(frozen=True)
class Provider:
    """A label or distributor, TIDAL's ``providers`` resource."""

    id: str
    name: str


@dataclass(frozen=True)
class Artist:
    id: str
    name: str
    popularity: float
    picture: Artwork


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    isrc: str
    seconds: int
    album_id: str
    track_number: int
    volume_number: int
    artist_ids: tuple[str, ...]
    popularity: float
    copyright: str


@dataclass(frozen=True)
class Album:
    id: str
    title: str
    barcode: str
    release_date: str
    artist_ids: tuple[str, ...]
    track_ids: tuple[str, ...]
    provider_id: str
    cover: Artwork
    popularity: float
    copyright: str
    album_type: str = "ALBUM"
    media_tags: tuple[str, ...] = ("LOSSLESS",)


@dataclass
class SearchHits:
    """What a query finds, best first within each type."""

    artists: list[str] = field(default_factory=list)
    albums: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)

    def top(self, count: int = 5) -> list[tuple[str, str]]:
        """Artists, then albums, then tracks: ``(type, id)`` of the first ``count``."""
        ranked = [("artists", i) for i in self.artists] + [("albums", i) for i in self.albums]
        ranked += [("tracks", i) for i in self.tracks]
        return ranked[:count]


@dataclass
class TidalCatalogue:
    """Everything the emulator serves, by id, with the look-ups its filters need."""

    artists: dict[str, Artist] = field(default_factory=dict)
    albums: dict[str, Album] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)

    @property
    def artworks(self) -> dict[str, Artwork]:
        pictures = [artist.picture for artist in self.artists.values()]
        return {art.id: art for art in [*pictures, *(a.cover for a in self.albums.values())]}

    def artwork_by_image_path(self, path: str) -> Artwork | None:
        return next((a for a in self.artworks.values() if a.image_path == path), None)

    def albums_by_barcode(self, barcode: str) -> list[Album]:
        return [a for a in self.albums.values() if same_barcode(a.barcode, barcode)]

    def tracks_by_isrc(self, isrc: str) -> list[Track]:
        return [t for t in self.tracks.values() if t.isrc == isrc.upper()]

    def albums_of_artist(self, artist_id: str) -> list[Album]:
        found = [a for a in self.albums.values() if artist_id in a.artist_ids]
        return sorted(found, key=lambda a: a.release_date, reverse=True)

    def tracks_of_artist(self, artist_id: str) -> list[Track]:
        found = [t for t in self.tracks.values() if artist_id in t.artist_ids]
        return sorted(found, key=lambda t: t.popularity, reverse=True)

    def album_seconds(self, album: Album) -> int:
        return sum(self.tracks[t].seconds for t in album.track_ids)

    def names(self, artist_ids: Iterable[str]) -> str:
        return " ".join(self.artists[a].name for a in artist_ids)

    def search(self, query: str) -> SearchHits:
        """Every word of ``query`` (case-folded) in the name, or the title plus its artists'
        names: a crude stand-in for TIDAL's ranking, deterministic for tests."""
        words = query.casefold().split()

        def hit(text: str) -> bool:
            return bool(words) and all(word in text.casefold() for word in words)

        items: list[Artist | Album | Track] = [
            *self.artists.values(),
            *self.albums.values(),
            *self.tracks.values(),
        ]
        by_popularity = sorted(items, key=lambda item: item.popularity, reverse=True)
        hits = SearchHits()
        for item in by_popularity:
            if isinstance(item, Artist) and hit(item.name):
                hits.artists.append(item.id)
            elif isinstance(item, Album) and hit(f"{item.title} {self.names(item.artist_ids)}"):
                hits.albums.append(item.id)
            elif isinstance(item, Track) and hit(f"{item.title} {self.names(item.artist_ids)}"):
                hits.tracks.append(item.id)
        return hits


@dataclass(frozen=True)
class _AlbumSpec:
    id: str
    title: str
    barcode: str
    release_date: str
    artist_id: str
    provider_id: str
    first_track_id: int
    tracks: tuple[tuple[str, int, str], ...]
    popularity: float
    cover_id: str


ALBUM_SPECS = (
    _AlbumSpec(
        FICTIONAL_FREQUENCIES_ALBUM_ID,
        "Fictional Frequencies",
        FICTIONAL_FREQUENCIES_BARCODE,
        "1998-03-12",
        ENSEMBLE_ARTIST_ID,
        RECORDS_PROVIDER_ID,
        int(FICTIONAL_FREQUENCIES_TRACK_IDS[0]),
        FICTIONAL_FREQUENCIES,
        0.41,
        "9fKx2mPlaceholder01A",
    ),
    _AlbumSpec(
        SECOND_DRAFT_ALBUM_ID,
        "Second Draft",
        SECOND_DRAFT_BARCODE,
        "2001-10-15",
        ENSEMBLE_ARTIST_ID,
        RECORDS_PROVIDER_ID,
        int(SECOND_DRAFT_TRACK_IDS[0]),
        SECOND_DRAFT,
        0.27,
        "9fKx2mPlaceholder02B",
    ),
    _AlbumSpec(
        SOLO_SKETCHES_ALBUM_ID,
        "Solo Sketches",
        SOLO_SKETCHES_BARCODE,
        "2004-05-17",
        SOLO_ARTIST_ID,
        ARCHIVE_PROVIDER_ID,
        int(SOLO_SKETCHES_TRACK_IDS[0]),
        SOLO_SKETCHES,
        0.18,
        "9fKx2mPlaceholder03C",
    ),
)


def _album(spec: _AlbumSpec, catalogue: TidalCatalogue) -> None:
    """Add one album and its tracks; popularity falls a little track by track."""
    year = spec.release_date[:4]
    label = catalogue.providers[spec.provider_id].name
    track_ids = []
    for number, (title, seconds, isrc) in enumerate(spec.tracks, start=1):
        track = Track(
            id=str(spec.first_track_id + number - 1),
            title=title,
            isrc=isrc,
            seconds=seconds,
            album_id=spec.id,
            track_number=number,
            volume_number=1,
            artist_ids=(spec.artist_id,),
            popularity=round(spec.popularity - number * 0.01, 2),
            copyright=f"℗ {year} {label}",
        )
        catalogue.tracks[track.id] = track
        track_ids.append(track.id)
    catalogue.albums[spec.id] = Album(
        id=spec.id,
        title=spec.title,
        barcode=spec.barcode,
        release_date=spec.release_date,
        artist_ids=(spec.artist_id,),
        track_ids=tuple(track_ids),
        provider_id=spec.provider_id,
        cover=Artwork(spec.cover_id, COVER_SIZES),
        popularity=spec.popularity,
        copyright=f"© {year} {label}",
    )


def build_catalogue() -> TidalCatalogue:
    """The sample catalogue (every barcode a valid EAN-13)."""
    catalogue = TidalCatalogue()
    for provider in (
        Provider(RECORDS_PROVIDER_ID, "Placeholder Records"),
        Provider(ARCHIVE_PROVIDER_ID, "Placeholder Archive Series"),
    ):
        catalogue.providers[provider.id] = provider
    for artist in (
        Artist(
            ENSEMBLE_ARTIST_ID, ENSEMBLE_NAME, 0.52, Artwork("7hQe4rEnsemble000001", PICTURE_SIZES)
        ),
        Artist(
            SOLO_ARTIST_ID, SOLO_ARTIST_NAME, 0.33, Artwork("7hQe4rJane0000000002", PICTURE_SIZES)
        ),
    ):
        catalogue.artists[artist.id] = artist
    for spec in ALBUM_SPECS:
        _album(spec, catalogue)
    assert all(valid_ean13(a.barcode) for a in catalogue.albums.values())
    return catalogue
