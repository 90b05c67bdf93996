"""The invented Spotify catalogue of the Spotify emulator, and how its search matches.

Everything is made up and tied to the other emulators' catalogues by barcode and ISRC:

- artists "The Example Ensemble" and "Jane Placeholder";
- "Fictional Frequencies" (UPC ``5012345678900``, the Discogs/MusicBrainz UK LP's barcode),
  5 tracks with the ISRCs ``ZZPH09800001``-``05`` that MusicBrainz gives their recordings;
- "Fictional Frequencies (Remastered)" (its own valid EAN-13) reusing the same five ISRCs, as
  a remaster does, so ``isrc:ZZPH09800002`` finds two tracks on two albums;
- "Second Draft" (UPC ``5012345678917``, released "2001-10": month precision) and "Solo
  Sketches" by Jane ("2004": year precision), with ISRCs of their own in the ``ZZPH0`` range.

Spotify ids are 22 base-62 characters; here they are derived from a hash of what they name,
so they stay the same from run to run and tests can import them as constants.

Pure data and logic, no aiohttp: the emulator turns these records into Spotify's JSON.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 22
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")

# Where Spotify's catalogue is sold. Every sample album is available in all of them; any other
# well-formed code is a market where nothing is available.
MARKETS: tuple[str, ...] = (
    "AD", "AR", "AT", "AU", "BE", "BG", "BO", "BR", "CA", "CH", "CL", "CO", "CR", "CY",
    "CZ", "DE", "DK", "DO", "EC", "EE", "ES", "FI", "FR", "GB", "GR", "GT", "HK", "HN",
    "HU", "ID", "IE", "IL", "IN", "IS", "IT", "JP", "KR", "LI", "LT", "LU", "LV", "MC",
    "MT", "MX", "MY", "NI", "NL", "NO", "NZ", "PA", "PE", "PH", "PL", "PT", "PY", "RO",
    "SE", "SG", "SK", "SV", "TH", "TR", "TW", "US", "UY", "VN", "ZA",
)  # fmt: skip

# i.scdn.co-style image ids: a 16-hex-digit prefix naming the size, then the picture's hash.
ALBUM_IMAGE_SIZES: tuple[tuple[str, int], ...] = (
    ("ab67616d0000b273", 640),
    ("ab67616d00001e02", 300),
    ("ab67616d00004851", 64),
)
ARTIST_IMAGE_SIZES: tuple[tuple[str, int], ...] = (
    ("ab6761610000e5eb", 640),
    ("ab67616100005174", 320),
    ("ab6761610000f178", 160),
)
IMAGE_SIZE_BY_PREFIX = dict(ALBUM_IMAGE_SIZES + ARTIST_IMAGE_SIZES)


def spotify_id(kind: str, key: str) -> str:
    """A deterministic 22-character base-62 id for ``kind`` named ``key``."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest()[:16], "big")
    digits = []
    for _ in range(ID_LENGTH):  # 62**22 > 2**128: every 128-bit number fits
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def is_spotify_id(value: str) -> bool:
    return _SPOTIFY_ID.fullmatch(value) is not None


def image_hash(key: str) -> str:
    """40 hex digits naming one picture (the part of an image id after the size prefix)."""
    return hashlib.sha1(key.encode()).hexdigest()


def ean13_is_valid(code: str) -> bool:
    """Whether ``code`` is 13 digits with a correct EAN-13 check digit."""
    if not re.fullmatch(r"\d{13}", code):
        return False
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


@dataclass(frozen=True)
class Artist:
    id: str
    name: str
    genres: tuple[str, ...]
    popularity: int
    followers: int
    image: str


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    album_id: str
    artist_ids: tuple[str, ...]
    duration_ms: int
    isrc: str
    track_number: int
    popularity: int
    disc_number: int = 1
    explicit: bool = False


@dataclass(frozen=True)
class Album:
    id: str
    name: str
    artist_ids: tuple[str, ...]
    release_date: str
    release_date_precision: str  # "day", "month" or "year", as the date's length says
    upc: str
    label: str
    popularity: int
    track_ids: tuple[str, ...]
    image: str
    album_type: str = "album"
    markets: tuple[str, ...] = MARKETS

    @property
    def year(self) -> int:
        return int(self.release_date[:4])

    @property
    def copyrights(self) -> list[dict[str, str]]:
        return [
            {"text": f"© {self.year} {self.label}", "type": "C"},
            {"text": f"℗ {self.year} {self.label}", "type": "P"},
        ]


@dataclass
class SpotifyCatalogue:
    """The records by id (in catalogue order) and the indexes lookups need."""

    artists: dict[str, Artist] = field(default_factory=dict)
    albums: dict[str, Album] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)

    def artist_albums(self, artist_id: str) -> list[Album]:
        return [a for a in self.albums.values() if artist_id in a.artist_ids]

    def artist_tracks(self, artist_id: str) -> list[Track]:
        return [t for t in self.tracks.values() if artist_id in t.artist_ids]

    def image_hashes(self) -> set[str]:
        """Every picture the catalogue's image URLs name."""
        return {a.image for a in self.albums.values()} | {a.image for a in self.artists.values()}


# --- the sample catalogue -----------------------------------------------------------------

ENSEMBLE_NAME = "The Example Ensemble"
JANE_NAME = "Jane Placeholder"
ENSEMBLE_ID = spotify_id("artist", ENSEMBLE_NAME)
JANE_ID = spotify_id("artist", JANE_NAME)

FICTIONAL_FREQUENCIES = "Fictional Frequencies"
FICTIONAL_FREQUENCIES_REMASTERED = "Fictional Frequencies (Remastered)"
SECOND_DRAFT = "Second Draft"
SOLO_SKETCHES = "Solo Sketches"

FICTIONAL_FREQUENCIES_UPC = "5012345678900"
REMASTERED_UPC = "5012345678924"
SECOND_DRAFT_UPC = "5012345678917"
SOLO_SKETCHES_UPC = "0023456789015"  # the iTunes one, as an EAN-13

FICTIONAL_FREQUENCIES_ID = spotify_id("album", FICTIONAL_FREQUENCIES)
REMASTERED_ID = spotify_id("album", FICTIONAL_FREQUENCIES_REMASTERED)
SECOND_DRAFT_ID = spotify_id("album", SECOND_DRAFT)
SOLO_SKETCHES_ID = spotify_id("album", SOLO_SKETCHES)

# (name, duration in ms, ISRC), in album order.
FICTIONAL_FREQUENCIES_TRACKS: tuple[tuple[str, int, str], ...] = (
    ("Opening Placeholder", 201_000, "ZZPH09800001"),
    ("Signal Test", 245_000, "ZZPH09800002"),
    ("Mock Horizon", 312_000, "ZZPH09800003"),
    ("Dummy Load", 188_000, "ZZPH09800004"),
    ("Closing Placeholder", 276_000, "ZZPH09800005"),
)
SECOND_DRAFT_TRACKS: tuple[tuple[str, int, str], ...] = (
    ("Draft One", 233_000, "ZZPH00100001"),
    ("Draft Two", 251_000, "ZZPH00100002"),
    ("Revision", 198_000, "ZZPH00100003"),
    ("Final Draft", 301_000, "ZZPH00100004"),
)
SOLO_SKETCHES_TRACKS: tuple[tuple[str, int, str], ...] = (
    ("Sketch 1", 150_000, "ZZPH00400001"),
    ("Sketch 2", 162_000, "ZZPH00400002"),
    ("Sketch 3", 171_000, "ZZPH00400003"),
)


def track_id(album_name: str, track_name: str) -> str:
    return spotify_id("track", f"{album_name}/{track_name}")


FICTIONAL_FREQUENCIES_TRACK_IDS = tuple(
    track_id(FICTIONAL_FREQUENCIES, name) for name, _, _ in FICTIONAL_FREQUENCIES_TRACKS
)
REMASTERED_TRACK_IDS = tuple(
    track_id(FICTIONAL_FREQUENCIES_REMASTERED, name) for name, _, _ in FICTIONAL_FREQUENCIES_TRACKS
)
SECOND_DRAFT_TRACK_IDS = tuple(track_id(SECOND_DRAFT, name) for name, _, _ in SECOND_DRAFT_TRACKS)
SOLO_SKETCHES_TRACK_IDS = tuple(
    track_id(SOLO_SKETCHES, name) for name, _, _ in SOLO_SKETCHES_TRACKS
)
SIGNAL_TEST_ISRC = "ZZPH09800002"
SIGNAL_TEST_ID = FICTIONAL_FREQUENCIES_TRACK_IDS[1]
SIGNAL_TEST_REMASTERED_ID = REMASTERED_TRACK_IDS[1]


@dataclass(frozen=True)
class _AlbumSpec:
    name: str
    artist_id: str
    release_date: str
    upc: str
    label: str
    popularity: int
    tracks: tuple[tuple[str, int, str], ...]
    track_popularity: tuple[int, ...]


_ALBUMS = (
    _AlbumSpec(
        FICTIONAL_FREQUENCIES,
        ENSEMBLE_ID,
        "1998-03-12",
        FICTIONAL_FREQUENCIES_UPC,
        "Placeholder Records",
        41,
        FICTIONAL_FREQUENCIES_TRACKS,
        (38, 47, 35, 29, 33),
    ),
    _AlbumSpec(
        FICTIONAL_FREQUENCIES_REMASTERED,
        ENSEMBLE_ID,
        "2018-03-12",
        REMASTERED_UPC,
        "Placeholder Records",
        33,
        FICTIONAL_FREQUENCIES_TRACKS,
        (30, 36, 27, 22, 25),
    ),
    _AlbumSpec(
        SECOND_DRAFT,
        ENSEMBLE_ID,
        "2001-10",
        SECOND_DRAFT_UPC,
        "Placeholder Records",
        28,
        SECOND_DRAFT_TRACKS,
        (26, 24, 21, 31),
    ),
    _AlbumSpec(
        SOLO_SKETCHES,
        JANE_ID,
        "2004",
        SOLO_SKETCHES_UPC,
        "Placeholder Archive Series",
        19,
        SOLO_SKETCHES_TRACKS,
        (18, 16, 15),
    ),
)


def _precision(release_date: str) -> str:
    return {10: "day", 7: "month", 4: "year"}[len(release_date)]


def _picture(artist_name: str) -> str:
    return image_hash(f"artist:{artist_name}")


def build_catalogue() -> SpotifyCatalogue:
    """The sample catalogue, freshly built (records are frozen; the dicts are the caller's)."""
    catalogue = SpotifyCatalogue()
    ensemble_genres = ("placeholder pop", "test-signal rock")
    for artist in (
        Artist(ENSEMBLE_ID, ENSEMBLE_NAME, ensemble_genres, 44, 12_840, _picture(ENSEMBLE_NAME)),
        Artist(JANE_ID, JANE_NAME, ("placeholder folk",), 27, 3_105, _picture(JANE_NAME)),
    ):
        catalogue.artists[artist.id] = artist
    for spec in _ALBUMS:
        album_id = spotify_id("album", spec.name)
        ids = []
        for number, ((name, length, isrc), popularity) in enumerate(
            zip(spec.tracks, spec.track_popularity, strict=True), start=1
        ):
            track = Track(
                track_id(spec.name, name),
                name,
                album_id,
                (spec.artist_id,),
                length,
                isrc,
                number,
                popularity,
            )
            catalogue.tracks[track.id] = track
            ids.append(track.id)
        catalogue.albums[album_id] = Album(
            album_id,
            spec.name,
            (spec.artist_id,),
            spec.release_date,
            _precision(spec.release_date),
            spec.upc,
            spec.label,
            spec.popularity,
            tuple(ids),
            image_hash(f"album:{spec.name}"),
        )
    return catalogue


# --- search ---------------------------------------------------------------------------------

SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
CATALOGUE_TYPES = ("album", "artist", "track")  # the others have nothing in the catalogue
# Which field filters each type understands (Spotify's search reference); a filter a type
# does not understand matches none of that type.
FILTERS_BY_TYPE = {
    "album": {"album", "artist", "year", "upc", "tag"},
    "artist": {"artist", "year", "genre"},
    "track": {"track", "album", "artist", "year", "isrc", "genre"},
}
KNOWN_FILTERS = {"album", "artist", "track", "year", "upc", "isrc", "genre", "tag"}
_TERM = re.compile(
    r'(?P<field>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))'
    r'|"(?P<phrase>[^"]*)"|(?P<word>\S+)'
)
_YEAR = re.compile(r"(\d{4})(?:-(\d{4}))?")
HIPSTER_POPULARITY = 10  # tag:hipster: the lowest 10 % of popularity


def words(text: str) -> list[str]:
    """Case- and accent-folded words, as keyword matching compares them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"\w+", plain)


@dataclass(frozen=True)
class SearchQuery:
    """``q`` taken apart: free keywords and ``field:value`` filters."""

    keywords: tuple[str, ...]
    filters: tuple[tuple[str, str], ...]


def parse_query(q: str) -> SearchQuery:
    """Split ``q`` into keywords and filters. ``field:"a b"`` keeps both words in the filter;
    ``field:a b`` filters on ``a`` and leaves ``b`` a keyword (matched anywhere), so either
    spelling finds the same items. Unknown fields are plain keywords."""
    keywords: list[str] = []
    filters: list[tuple[str, str]] = []
    for match in _TERM.finditer(q):
        name = (match["field"] or "").lower()
        if name in KNOWN_FILTERS:
            value = match["quoted"] if match["quoted"] is not None else match["bare"]
            filters.append((name, value))
        elif match["field"]:
            keywords.extend(words(match.group(0)))
        else:
            keywords.extend(words(match["phrase"] or match["word"] or ""))
    return SearchQuery(tuple(keywords), tuple(filters))


def _words_match(wanted: str | list[str], text: str) -> bool:
    """Every wanted word starts one of ``text``'s words."""
    have = words(text)
    wanted_words = words(wanted) if isinstance(wanted, str) else wanted
    return all(any(h.startswith(w) for h in have) for w in wanted_words)


def _year_matches(value: str, years: list[int]) -> bool:
    match = _YEAR.fullmatch(value.strip())
    if match is None:
        return False
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    return any(first <= year <= last for year in years)


class Searcher:
    """Answers ``/v1/search`` over a catalogue: which items of a type ``q`` finds."""

    def __init__(self, catalogue: SpotifyCatalogue) -> None:
        self.catalogue = catalogue

    def search(self, kind: str, query: SearchQuery) -> list[str]:
        """Ids of ``kind`` that match, most popular first (ties in catalogue order)."""
        if kind not in CATALOGUE_TYPES:
            return []
        if any(name not in FILTERS_BY_TYPE[kind] for name, _ in query.filters):
            return []
        if kind == "album":
            found: list[Album | Artist | Track] = [
                a for a in self.catalogue.albums.values() if self._album_matches(a, query)
            ]
        elif kind == "artist":
            found = [a for a in self.catalogue.artists.values() if self._artist_matches(a, query)]
        else:
            found = [t for t in self.catalogue.tracks.values() if self._track_matches(t, query)]
        found.sort(key=lambda item: -item.popularity)
        return [item.id for item in found]

    def _artist_names(self, artist_ids: tuple[str, ...]) -> str:
        return " ".join(self.catalogue.artists[a].name for a in artist_ids)

    def _album_matches(self, album: Album, query: SearchQuery) -> bool:
        artists = self._artist_names(album.artist_ids)
        for name, value in query.filters:
            ok = {
                "album": lambda v: _words_match(v, album.name),
                "artist": lambda v: _words_match(v, artists),
                "year": lambda v: _year_matches(v, [album.year]),
                "upc": lambda v: v == album.upc,  # exact: Spotify does not pad or trim zeros
                "tag": lambda v: v.lower() == "hipster" and album.popularity <= HIPSTER_POPULARITY,
            }[name](value)
            if not ok:
                return False
        return _words_match(list(query.keywords), f"{album.name} {artists}")

    def _artist_matches(self, artist: Artist, query: SearchQuery) -> bool:
        for name, value in query.filters:
            if name == "artist" and not _words_match(value, artist.name):
                return False
            if name == "genre" and not _words_match(value, " ".join(artist.genres)):
                return False
            if name == "year":
                years = [a.year for a in self.catalogue.artist_albums(artist.id)]
                if not _year_matches(value, years):
                    return False
        return _words_match(list(query.keywords), artist.name)

    def _track_matches(self, track: Track, query: SearchQuery) -> bool:
        album = self.catalogue.albums[track.album_id]
        artists = self._artist_names(track.artist_ids)
        genres = " ".join(g for a in track.artist_ids for g in self.catalogue.artists[a].genres)
        for name, value in query.filters:
            ok = {
                "track": lambda v: _words_match(v, track.name),
                "album": lambda v: _words_match(v, album.name),
                "artist": lambda v: _words_match(v, artists),
                "year": lambda v: _year_matches(v, [album.year]),
                "isrc": lambda v: v.upper() == track.isrc,
                "genre": lambda v: _words_match(v, genres),
            }[name](value)
            if not ok:
                return False
        return _words_match(list(query.keywords), f"{track.name} {artists} {album.name}")
