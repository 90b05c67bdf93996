"""The invented catalogue of the iTunes Search API emulator (see ``itunes``).

The same story as the Discogs and MetaBrainz emulators' catalogues, as the store sells it:

- The Example Ensemble (electronic, the band) and Jane Placeholder (its singer, solo).
- "Fictional Frequencies" (1998-03-12): the UPC of Discogs release 1 and of MusicBrainz'
  UK LP, its five tracks with the same lengths and ISRCs (ZZPH09800001 … 05).
- "Fictional Frequencies (Deluxe Edition)" (2018): the same five recordings (same ISRCs,
  each track still dated 1998) plus "Signal Test (Live)"; a barcode of its own.
- "Second Draft" (2001): the UPC of Discogs release 2 / MusicBrainz' EU CD.
- "Solo Sketches" by Jane (2004): a 12-digit UPC-A, so that looking it up with 12 digits
  and with 13 (a leading 0 added, as an EAN-13) can both be tried.

Only the iTunes side is invented here: the store's ids (distinct ranges, tracks numbered
after their collection as Apple's usually are), the AMG ids, prices and genres. ISRCs are
kept although the API never shows them, so tests can follow one recording from emulator to
emulator; tracks MusicBrainz knows without an ISRC have none here either.

Pure data and lookups, no aiohttp: the emulator turns these into Apple's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

# --- the ids tests refer to --------------------------------------------------------------

EXAMPLE_ENSEMBLE_ID = 990000001
JANE_PLACEHOLDER_ID = 990000002
EXAMPLE_ENSEMBLE_AMG_ID = 9900001
JANE_PLACEHOLDER_AMG_ID = 9900002

FICTIONAL_FREQUENCIES_ID = 990001000
FICTIONAL_FREQUENCIES_DELUXE_ID = 990002000
SECOND_DRAFT_ID = 990003000
SOLO_SKETCHES_ID = 990004000

FICTIONAL_FREQUENCIES_AMG_ALBUM_ID = 9910001
FICTIONAL_FREQUENCIES_DELUXE_AMG_ALBUM_ID = 9910002
SECOND_DRAFT_AMG_ALBUM_ID = 9910003
SOLO_SKETCHES_AMG_ALBUM_ID = 9910004

FICTIONAL_FREQUENCIES_UPC = "5012345678900"  # Discogs release 1, MusicBrainz' UK LP
FICTIONAL_FREQUENCIES_DELUXE_UPC = "5012345678924"
SECOND_DRAFT_UPC = "5012345678917"  # Discogs release 2, MusicBrainz' EU CD
SOLO_SKETCHES_UPC = "023456789015"  # UPC-A; as an EAN-13: "0" + this
FICTIONAL_FREQUENCIES_ISRCS = tuple(f"ZZPH0980000{n}" for n in range(1, 6))
SIGNAL_TEST_LIVE_ISRC = "ZZPH01800001"

ARTIST_IDS = (EXAMPLE_ENSEMBLE_ID, JANE_PLACEHOLDER_ID)
ALBUM_IDS = (
    FICTIONAL_FREQUENCIES_ID,
    FICTIONAL_FREQUENCIES_DELUXE_ID,
    SECOND_DRAFT_ID,
    SOLO_SKETCHES_ID,
)
UPCS = (
    FICTIONAL_FREQUENCIES_UPC,
    FICTIONAL_FREQUENCIES_DELUXE_UPC,
    SECOND_DRAFT_UPC,
    SOLO_SKETCHES_UPC,
)


def gtin_check_digit(body: str) -> str:
    """The check digit for the digits of a GTIN before it (UPC-A, EAN-13 alike): weights
    3, 1, 3 … from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def is_valid_gtin(code: str) -> bool:
    return code.isdigit() and len(code) >= 8 and gtin_check_digit(code[:-1]) == code[-1]


def gtin13(code: str) -> str | None:
    """A UPC as the store matches it: 12 digits gain a leading 0, a 14-digit GTIN with a
    leading 0 loses it; anything else that is not 13 digits matches nothing."""
    code = code.strip()
    if not code.isdigit():
        return None
    if len(code) == 12:
        return "0" + code
    if len(code) == 14 and code.startswith("0"):
        return code[1:]
    return code if len(code) == 13 else None


# --- the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Genre:
    name: str
    id: int  # Apple's genre ids: shown on artists (``primaryGenreId``)


ELECTRONIC = Genre("Electronic", 7)
ROCK = Genre("Rock", 21)
SINGER_SONGWRITER = Genre("Singer/Songwriter", 10)


@dataclass(frozen=True)
class Artist:
    id: int
    name: str
    amg_id: int | None
    genre: Genre


@dataclass(frozen=True)
class Track:
    id: int
    album_id: int
    artist_id: int
    number: int
    name: str
    millis: int
    isrc: str | None
    release_date: str  # the recording's own date: a reissue's old tracks keep theirs
    disc: int = 1


@dataclass(frozen=True)
class Album:
    id: int
    name: str
    artist_id: int
    upc: str
    amg_album_id: int | None
    release_date: str  # midnight in Cupertino, in UTC, as Apple gives it
    genre: Genre
    copyright: str
    price_tier: int  # index into a storefront's album prices
    artwork_side: int  # the square source image's side in pixels
    tracks: tuple[Track, ...] = field(default=())

    @property
    def disc_count(self) -> int:
        return max((t.disc for t in self.tracks), default=1)

    def tracks_on_disc(self, disc: int) -> int:
        return sum(1 for t in self.tracks if t.disc == disc)


Item = Artist | Album | Track


@dataclass(frozen=True)
class Storefront:
    """One country's store: what answers from it say (``country``, ``currency``, prices)."""

    code: str  # the ``country`` parameter, lower case (as in music.apple.com/{code}/…)
    country: str  # ISO 3166 alpha-3, as the answers' ``country`` field
    currency: str
    album_prices: tuple[float, float]  # by ``Album.price_tier``: standard, deluxe
    track_price: float


# A handful of stores; any other ``country`` is refused as Apple refuses one it has no
# store for (``uk`` is the usual mistake: the store is ``gb``).
STOREFRONTS = {
    s.code: s
    for s in (
        Storefront("us", "USA", "USD", (9.99, 12.99), 1.29),
        Storefront("gb", "GBR", "GBP", (7.99, 10.99), 0.99),
        Storefront("ca", "CAN", "CAD", (11.99, 15.99), 1.29),
        Storefront("au", "AUS", "AUD", (16.99, 21.99), 2.19),
        Storefront("de", "DEU", "EUR", (9.99, 12.99), 1.29),
        Storefront("fr", "FRA", "EUR", (9.99, 12.99), 1.29),
        Storefront("nl", "NLD", "EUR", (9.99, 12.99), 1.29),
        Storefront("es", "ESP", "EUR", (9.99, 12.99), 1.29),
        Storefront("it", "ITA", "EUR", (9.99, 12.99), 1.29),
        Storefront("se", "SWE", "SEK", (119.0, 149.0), 13.0),
        Storefront("jp", "JPN", "JPY", (1833.0, 2444.0), 255.0),
    )
}
DEFAULT_STOREFRONT = "us"


@dataclass
class ITunesCatalogue:
    """Artists, albums and tracks by the store's ids (disjoint, so one ``id`` finds any)."""

    artists: dict[int, Artist]
    albums: dict[int, Album]
    tracks: dict[int, Track] = field(init=False)

    def __post_init__(self) -> None:
        self.tracks = {t.id: t for a in self.albums.values() for t in a.tracks}

    def item(self, store_id: int) -> Item | None:
        return self.artists.get(store_id) or self.albums.get(store_id) or self.tracks.get(store_id)

    def artist_by_amg(self, amg_id: int) -> Artist | None:
        return next((a for a in self.artists.values() if a.amg_id == amg_id), None)

    def album_by_amg(self, amg_id: int) -> Album | None:
        return next((a for a in self.albums.values() if a.amg_album_id == amg_id), None)

    def albums_by_upc(self, code: str) -> list[Album]:
        wanted = gtin13(code)
        return [a for a in self.albums.values() if wanted and gtin13(a.upc) == wanted]

    def albums_of(self, artist_id: int) -> list[Album]:
        return [a for a in self.albums.values() if a.artist_id == artist_id]

    def tracks_of(self, artist_id: int) -> list[Track]:
        return [t for a in self.albums.values() for t in a.tracks if t.artist_id == artist_id]

    def all_tracks(self) -> Iterator[Track]:
        for album in self.albums.values():
            yield from album.tracks


# --- the contents ----------------------------------------------------------------------

FICTIONAL_FREQUENCIES_TRACKS = (
    ("Opening Placeholder", 201_000),
    ("Signal Test", 245_000),
    ("Mock Horizon", 312_000),
    ("Dummy Load", 188_000),
    ("Closing Placeholder", 276_000),
)
SIGNAL_TEST_LIVE = ("Signal Test (Live)", 262_000)
SECOND_DRAFT_TRACKS = (
    ("Draft One", 233_000),
    ("Draft Two", 251_000),
    ("Revision", 198_000),
    ("Final Draft", 301_000),
)
SOLO_SKETCHES_TRACKS = (("Sketch 1", 150_000), ("Sketch 2", 162_000), ("Sketch 3", 171_000))

_FF_TRACK_DATE = "1998-03-12T12:00:00Z"


def _tracks(
    album_id: int,
    artist_id: int,
    rows: tuple[tuple[str, int, str | None, str], ...],
) -> tuple[Track, ...]:
    """Rows of (name, milliseconds, ISRC, track date), numbered from 1 on one disc."""
    return tuple(
        Track(album_id + n, album_id, artist_id, n, name, millis, isrc, date)
        for n, (name, millis, isrc, date) in enumerate(rows, start=1)
    )


def _fictional_frequencies_rows() -> tuple[tuple[str, int, str | None, str], ...]:
    return tuple(
        (name, millis, isrc, _FF_TRACK_DATE)
        for (name, millis), isrc in zip(
            FICTIONAL_FREQUENCIES_TRACKS, FICTIONAL_FREQUENCIES_ISRCS, strict=True
        )
    )


def _albums() -> list[Album]:
    ensemble, jane = EXAMPLE_ENSEMBLE_ID, JANE_PLACEHOLDER_ID
    ff_rows = _fictional_frequencies_rows()
    live = (*SIGNAL_TEST_LIVE, SIGNAL_TEST_LIVE_ISRC, "2018-03-12T12:00:00Z")
    drafts = tuple((n, ms, None, "2001-10-01T12:00:00Z") for n, ms in SECOND_DRAFT_TRACKS)
    sketches = tuple((n, ms, None, "2004-05-17T12:00:00Z") for n, ms in SOLO_SKETCHES_TRACKS)
    return [
        Album(
            FICTIONAL_FREQUENCIES_ID,
            "Fictional Frequencies",
            ensemble,
            FICTIONAL_FREQUENCIES_UPC,
            FICTIONAL_FREQUENCIES_AMG_ALBUM_ID,
            "1998-03-12T08:00:00Z",  # PST
            ELECTRONIC,
            "℗ 1998 Placeholder Records",
            price_tier=0,
            artwork_side=1400,
            tracks=_tracks(FICTIONAL_FREQUENCIES_ID, ensemble, ff_rows),
        ),
        Album(
            FICTIONAL_FREQUENCIES_DELUXE_ID,
            "Fictional Frequencies (Deluxe Edition)",
            ensemble,
            FICTIONAL_FREQUENCIES_DELUXE_UPC,
            FICTIONAL_FREQUENCIES_DELUXE_AMG_ALBUM_ID,
            "2018-03-12T07:00:00Z",  # PDT
            ELECTRONIC,
            "℗ 2018 Placeholder Records",
            price_tier=1,
            artwork_side=3000,
            tracks=_tracks(FICTIONAL_FREQUENCIES_DELUXE_ID, ensemble, (*ff_rows, live)),
        ),
        Album(
            SECOND_DRAFT_ID,
            "Second Draft",
            ensemble,
            SECOND_DRAFT_UPC,
            SECOND_DRAFT_AMG_ALBUM_ID,
            "2001-10-01T07:00:00Z",
            ROCK,
            "℗ 2001 Placeholder Records",
            price_tier=0,
            artwork_side=1400,
            tracks=_tracks(SECOND_DRAFT_ID, ensemble, drafts),
        ),
        Album(
            SOLO_SKETCHES_ID,
            "Solo Sketches",
            jane,
            SOLO_SKETCHES_UPC,
            SOLO_SKETCHES_AMG_ALBUM_ID,
            "2004-05-17T07:00:00Z",
            SINGER_SONGWRITER,
            "℗ 2004 Placeholder Archive Series",
            price_tier=0,
            artwork_side=1200,
            tracks=_tracks(SOLO_SKETCHES_ID, jane, sketches),
        ),
    ]


def build_catalogue() -> ITunesCatalogue:
    """A fresh catalogue (cheap: a handful of frozen records)."""
    artists = [
        Artist(EXAMPLE_ENSEMBLE_ID, "The Example Ensemble", EXAMPLE_ENSEMBLE_AMG_ID, ELECTRONIC),
        Artist(JANE_PLACEHOLDER_ID, "Jane Placeholder", JANE_PLACEHOLDER_AMG_ID, SINGER_SONGWRITER),
    ]
    return ITunesCatalogue({a.id: a for a in artists}, {a.id: a for a in _albums()})
