"""Each source asked for a barcode or an ISRC, its answer read into :class:`Match` es.

A source asks its upstream through that upstream's service, so every call is the same
cached, governed call a client's identical request would be (a repeat costs nothing
upstream), and reads the answer without trusting it: a result whose barcode does not
normalise to the one asked for is dropped (Discogs' barcode search matches parts of
barcodes), an id that is not the source's kind of id is dropped.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Protocol

from ..discogs.service import DiscogsService
from ..itunes.artwork import artwork_on_sleeve
from ..itunes.service import ITunesService
from ..musicbrainz.links import checked_mbid
from ..musicbrainz.service import MusicBrainzService
from ..spotify.service import SpotifyService
from ..tidal.service import TidalService
from .codes import BadCode, Gtin, gtin
from .matches import Match, count, text, year_of

__all__ = [
    "DiscogsSource",
    "ITunesSource",
    "MusicBrainzSource",
    "NotSupported",
    "Source",
    "SpotifySource",
    "TidalSource",
    "credited",
    "same_barcode",
]

MAX_RELEASES = 5  # Discogs releases read for their track counts, per look-up
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_TIDAL_ID = re.compile(r"[0-9]{1,20}")
#: The store TIDAL is asked about (it requires one; availability differs, ids do not).
TIDAL_COUNTRY = "US"


class NotSupported(Exception):
    """The source has no way to look this kind of code up."""


class Source(Protocol):
    name: str

    @property
    def configured(self) -> bool: ...

    async def releases(self, code: Gtin, base: str) -> list[Match]: ...

    async def recordings(self, isrc: str, base: str) -> list[Match]: ...


def same_barcode(value: object, code: Gtin) -> bool:
    """Whether a source's barcode (as printed: spaces, dashes) is ``code``."""
    if not isinstance(value, str):
        return False
    try:
        return gtin(value).canonical == code.canonical
    except BadCode:
        return False


def credited(credits: object) -> tuple[str, ...]:
    """Names from a list of credits (MusicBrainz' ``artist-credit``, Discogs' and
    Spotify's ``artists``)."""
    if not isinstance(credits, list):
        return ()
    names = []
    for credit in credits[:20]:
        if isinstance(credit, dict):
            name = text(credit.get("name")) or text((credit.get("artist") or {}).get("name"))
            if name:
                names.append(name)
    return tuple(names)


class DiscogsSource:
    name = "discogs"
    configured = True

    def __init__(self, discogs: DiscogsService) -> None:
        self._discogs = discogs

    async def releases(self, code: Gtin, base: str) -> list[Match]:
        # Discogs matches parts of barcodes: the shorter spelling finds both forms.
        query = [("barcode", code.spellings[-1]), ("type", "release")]
        found = await self._discogs.document("/database/search", query)
        results = found.get("results") if isinstance(found, dict) else None
        found_ids: list[int] = []
        for result in (results if isinstance(results, list) else [])[: MAX_RELEASES * 4]:
            if not isinstance(result, dict) or not isinstance(result.get("id"), int):
                continue
            barcodes = result.get("barcode")
            if isinstance(barcodes, list) and any(same_barcode(b, code) for b in barcodes):
                found_ids.append(result["id"])
        # Each release read for its track count, at once (each a cached, gated call).
        ids = list(dict.fromkeys(found_ids))[:MAX_RELEASES]
        return list(await asyncio.gather(*(self._release(i, code, base) for i in ids)))

    async def _release(self, release_id: int, code: Gtin, base: str) -> Match:
        release = await self._discogs.document(f"/releases/{release_id}") or {}
        tracks = release.get("tracklist")
        track_count = sum(
            isinstance(t, dict) and t.get("type_", "track") == "track"
            for t in (tracks if isinstance(tracks, list) else [])
        )
        images = release.get("images")
        return Match(
            self.name,
            str(release_id),
            text(release.get("title")) or "",
            artists=credited(release.get("artists")),
            year=year_of(release.get("year")) or year_of(release.get("released")),
            track_count=track_count or None,
            barcode=code.canonical,
            url=f"{base}/releases/{release_id}",
            cover=f"{base}/images/releases/{release_id}/0" if images else None,
        )

    async def recordings(self, isrc: str, base: str) -> list[Match]:
        raise NotSupported("Discogs' database search has no ISRC field.")


class MusicBrainzSource:
    name = "musicbrainz"
    configured = True

    def __init__(self, musicbrainz: MusicBrainzService) -> None:
        self._musicbrainz = musicbrainz

    async def releases(self, code: Gtin, base: str) -> list[Match]:
        query = " OR ".join(f"barcode:{spelling}" for spelling in code.spellings)
        found = await self._musicbrainz.document(
            "/release", [("query", query), ("limit", "25")], "search"
        )
        releases = found.get("releases") if isinstance(found, dict) else None
        matches = []
        for release in releases if isinstance(releases, list) else []:
            if not isinstance(release, dict) or not same_barcode(release.get("barcode"), code):
                continue
            mbid = checked_mbid(release.get("id"))
            if mbid is None:
                continue
            art = release.get("cover-art-archive")
            front = isinstance(art, dict) and art.get("front") is True
            matches.append(
                Match(
                    self.name,
                    mbid,
                    text(release.get("title")) or "",
                    artists=credited(release.get("artist-credit")),
                    year=year_of(release.get("date")),
                    track_count=count(release.get("track-count")),
                    barcode=code.canonical,
                    url=f"{base}/ws/2/release/{mbid}?fmt=json",
                    cover=f"{base}/release/{mbid}/front-500" if front else None,
                )
            )
        return matches

    async def recordings(self, isrc: str, base: str) -> list[Match]:
        found = await self._musicbrainz.document(
            f"/isrc/{isrc}", [("inc", "artist-credits+releases")], "isrc"
        )
        recordings = found.get("recordings") if isinstance(found, dict) else None
        matches = []
        for recording in recordings if isinstance(recordings, list) else []:
            mbid = checked_mbid(recording.get("id")) if isinstance(recording, dict) else None
            if mbid is None:
                continue
            releases = recording.get("releases")
            first = releases[0] if isinstance(releases, list) and releases else {}
            matches.append(
                Match(
                    self.name,
                    mbid,
                    text(recording.get("title")) or "",
                    artists=credited(recording.get("artist-credit")),
                    isrc=isrc,
                    length_ms=count(recording.get("length")),
                    release_title=text(first.get("title")) if isinstance(first, dict) else None,
                    url=f"{base}/ws/2/recording/{mbid}?fmt=json",
                )
            )
        return matches


class ITunesSource:
    name = "itunes"
    configured = True

    def __init__(self, itunes: ITunesService) -> None:
        self._itunes = itunes

    async def releases(self, code: Gtin, base: str) -> list[Match]:
        found = await self._itunes.results("/lookup", [("upc", ",".join(code.spellings))])
        matches = []
        for result in found.get("results") or []:
            if not isinstance(result, dict) or result.get("wrapperType") != "collection":
                continue
            collection = result.get("collectionId")
            if not isinstance(collection, int):
                continue
            artwork = text(result.get("artworkUrl100"), 2000)
            cover = None
            if artwork and "/100x100bb." in artwork:
                cover = artwork_on_sleeve(artwork.replace("/100x100bb.", "/600x600bb."), base)
                cover = cover if cover.startswith(base) else None
            matches.append(
                Match(
                    self.name,
                    str(collection),
                    text(result.get("collectionName")) or "",
                    artists=tuple(filter(None, [text(result.get("artistName"))])),
                    year=year_of(result.get("releaseDate")),
                    track_count=count(result.get("trackCount")),
                    barcode=code.canonical,
                    url=f"{base}/lookup?id={collection}&entity=song",
                    cover=cover,
                )
            )
        return matches

    async def recordings(self, isrc: str, base: str) -> list[Match]:
        raise NotSupported("The iTunes Search API cannot look an ISRC up.")


class SpotifySource:
    name = "spotify"

    def __init__(self, spotify: SpotifyService) -> None:
        self._spotify = spotify

    @property
    def configured(self) -> bool:
        return self._spotify.configured

    async def releases(self, code: Gtin, base: str) -> list[Match]:
        matches: dict[str, Match] = {}
        for spelling in code.spellings:  # Spotify matches the digits it holds exactly
            found = await self._spotify.document(
                "/v1/search", [("q", f"upc:{spelling}"), ("type", "album")], "search"
            )
            for album in _items(found, "albums"):
                spotify_id = album.get("id")
                if not (isinstance(spotify_id, str) and _SPOTIFY_ID.fullmatch(spotify_id)):
                    continue
                matches.setdefault(
                    spotify_id,
                    Match(
                        self.name,
                        spotify_id,
                        text(album.get("name")) or "",
                        artists=credited(album.get("artists")),
                        year=year_of(album.get("release_date")),
                        track_count=count(album.get("total_tracks")),
                        barcode=spelling,
                        url=f"{base}/v1/albums/{spotify_id}",
                    ),
                )
        return list(matches.values())

    async def recordings(self, isrc: str, base: str) -> list[Match]:
        found = await self._spotify.document(
            "/v1/search", [("q", f"isrc:{isrc}"), ("type", "track")], "search"
        )
        matches = []
        for track in _items(found, "tracks"):
            spotify_id = track.get("id")
            if not (isinstance(spotify_id, str) and _SPOTIFY_ID.fullmatch(spotify_id)):
                continue
            album = track.get("album")
            album = album if isinstance(album, dict) else {}
            matches.append(
                Match(
                    self.name,
                    spotify_id,
                    text(track.get("name")) or "",
                    artists=credited(track.get("artists")),
                    isrc=isrc,
                    length_ms=count(track.get("duration_ms")),
                    release_title=text(album.get("name")),
                    url=f"{base}/v1/tracks/{spotify_id}",
                )
            )
        return matches


class TidalSource:
    name = "tidal"

    def __init__(self, tidal: TidalService) -> None:
        self._tidal = tidal

    @property
    def configured(self) -> bool:
        return self._tidal.configured

    async def releases(self, code: Gtin, base: str) -> list[Match]:
        query = [("filter[barcodeId]", spelling) for spelling in code.spellings]
        return [
            Match(
                self.name,
                tidal_id,
                text(attributes.get("title")) or "",
                artists=artists,
                year=year_of(attributes.get("releaseDate")),
                track_count=count(attributes.get("numberOfItems")),
                barcode=text(attributes.get("barcodeId")),
                url=f"{base}/v2/albums/{tidal_id}?countryCode={TIDAL_COUNTRY}",
            )
            for tidal_id, attributes, artists in await self._found("albums", query)
        ]

    async def recordings(self, isrc: str, base: str) -> list[Match]:
        return [
            Match(
                self.name,
                tidal_id,
                text(attributes.get("title")) or "",
                artists=artists,
                isrc=isrc,
                length_ms=_iso_duration_ms(attributes.get("duration")),
                url=f"{base}/v2/tracks/{tidal_id}?countryCode={TIDAL_COUNTRY}",
            )
            for tidal_id, attributes, artists in await self._found(
                "tracks", [("filter[isrc]", isrc)]
            )
        ]

    async def _found(
        self, kind: str, filters: list[tuple[str, str]]
    ) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        """``(id, attributes, artist names)`` of each ``kind`` resource the filters find."""
        query = [("countryCode", TIDAL_COUNTRY), ("include", "artists"), *filters]
        found = await self._tidal.document(f"/v2/{kind}", query, kind.removesuffix("s"))
        names = _included_names(found)
        return [
            (
                resource["id"],
                attributes if isinstance(attributes := resource.get("attributes"), dict) else {},
                _related_names(resource, "artists", names),
            )
            for resource in _resources(found, kind)
        ]


def _resources(found: Any, kind: str) -> list[dict[str, Any]]:
    """A JSON:API document's primary resources of ``kind`` with a TIDAL id."""
    data = found.get("data") if isinstance(found, dict) else None
    data = [data] if isinstance(data, dict) else data
    return [
        item
        for item in (data if isinstance(data, list) else [])[:50]
        if isinstance(item, dict)
        and item.get("type") == kind
        and isinstance(item.get("id"), str)
        and _TIDAL_ID.fullmatch(item["id"])
    ]


def _included_names(found: Any) -> dict[tuple[str, str], str]:
    included = found.get("included") if isinstance(found, dict) else None
    names = {}
    for item in included if isinstance(included, list) else []:
        if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
            name = text(item["attributes"].get("name"))
            if name and isinstance(item.get("id"), str):
                names[(str(item.get("type")), item["id"])] = name
    return names


def _related_names(
    resource: dict[str, Any], relation: str, names: dict[tuple[str, str], str]
) -> tuple[str, ...]:
    related = (resource.get("relationships") or {}).get(relation)
    data = related.get("data") if isinstance(related, dict) else None
    found = []
    for ref in data if isinstance(data, list) else []:
        if isinstance(ref, dict) and (
            name := names.get((str(ref.get("type")), str(ref.get("id"))))
        ):
            found.append(name)
    return tuple(found)


_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def _iso_duration_ms(value: object) -> int | None:
    """``PT4M5S`` in milliseconds."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return round((hours * 3600 + minutes * 60 + seconds) * 1000)


def _items(found: Any, kind: str) -> list[dict[str, Any]]:
    page = found.get(kind) if isinstance(found, dict) else None
    items = page.get("items") if isinstance(page, dict) else None
    return (
        [item for item in items[:50] if isinstance(item, dict)] if isinstance(items, list) else []
    )
