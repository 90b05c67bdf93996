"""Other sources of a Discogs release's or master's primary image: the Cover Art Archive's
front art of its MusicBrainz counterpart, found through the url-rels links.

The chain is configuration (``images.sources``, tried in order; ``discogs`` is Discogs
itself, see :class:`~sleeve.discogs.images.DiscogsImages`):

- ``coverartarchive-release``: the front of each MusicBrainz release linked to the
  Discogs release;
- ``coverartarchive-release-group``: the front of their release groups (for a master, of
  the release groups linked to it) — the art of another edition of the same record;
- ``itunes``: Apple's artwork of the album with the release's barcode (for a master, its
  main release's), at 1200 px, through the iTunes service's image store.

After Discogs, they stand in when it has no image or the day's budget is spent; before
it, they spare the budget. Every step goes through sleeve's caches and governance; a step
that fails or finds nothing passes to the next. (Discogs reaches into its peers here,
MusicBrainz, the archive and iTunes, never the other way.)
"""

from __future__ import annotations

import logging

from ..coverart.paths import ImageRequest
from ..coverart.service import CoverArtService
from ..errors import GatewayError
from ..images.names import StoredImage
from ..itunes.service import ITunesService
from ..lookup.codes import BadCode, gtin
from ..musicbrainz.links import MusicBrainzLinks
from .service import DiscogsService

__all__ = ["ITUNES_SIZE", "SOURCES", "CoverArtSources", "ITunesArtwork", "OtherSources"]

logger = logging.getLogger("sleeve.images")

SOURCES = ("coverartarchive-release", "coverartarchive-release-group")
ITUNES_SIZE = "1200x1200bb.jpg"


class OtherSources:
    """Each source of ``images.sources`` but Discogs, by its name."""

    def __init__(self, cover_art: CoverArtSources, itunes: ITunesArtwork) -> None:
        self._cover_art = cover_art
        self._itunes = itunes

    async def primary_image(
        self, collection: str, entity_id: int, source: str
    ) -> StoredImage | None:
        if source == "itunes":
            return await self._itunes.primary_image(collection, entity_id)
        return await self._cover_art.primary_image(collection, entity_id, source)


class ITunesArtwork:
    """Apple's artwork of the album with a Discogs release's barcode."""

    def __init__(self, discogs: DiscogsService, itunes: ITunesService) -> None:
        self._discogs = discogs
        self._itunes = itunes

    async def primary_image(self, collection: str, entity_id: int) -> StoredImage | None:
        try:
            release = await self._release(collection, entity_id)
            for code in _barcodes(release):
                found = await self._itunes.results("/lookup", [("upc", ",".join(code.spellings))])
                for result in found.get("results") or []:
                    artwork = result.get("artworkUrl100") if isinstance(result, dict) else None
                    if isinstance(artwork, str) and "/100x100bb." in artwork:
                        base = artwork.rsplit("/", 1)[0]
                        return await self._itunes.artwork_at(f"{base}/{ITUNES_SIZE}")
        except GatewayError as exc:  # Discogs or Apple unavailable: not now
            logger.info("no iTunes image for %s %s: %s", collection, entity_id, exc.message)
        return None

    async def _release(self, collection: str, entity_id: int) -> dict[str, object]:
        if collection == "masters":
            master = await self._discogs.document(f"/masters/{entity_id}") or {}
            main = master.get("main_release")
            if not isinstance(main, int):
                return {}
            entity_id = main
        elif collection != "releases":
            return {}
        found = await self._discogs.document(f"/releases/{entity_id}")
        return found if isinstance(found, dict) else {}


def _barcodes(release: dict[str, object]) -> list:  # type: ignore[type-arg]
    """The release's barcodes that are GTINs (Discogs keeps them as printed)."""
    codes = []
    identifiers = release.get("identifiers")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identifier, dict) and identifier.get("type") == "Barcode":
            try:
                codes.append(gtin(str(identifier.get("value", ""))))
            except BadCode:
                continue
    return codes


class CoverArtSources:
    def __init__(self, links: MusicBrainzLinks, cover_art: CoverArtService) -> None:
        self._links = links
        self._cover_art = cover_art

    async def primary_image(
        self, collection: str, entity_id: int, source: str
    ) -> StoredImage | None:
        """The front image ``source`` finds for a Discogs release or master, if any."""
        if collection not in ("releases", "masters") or source not in SOURCES:
            return None
        try:
            mbids = [link.mbid for link in await self._links.of_discogs(collection, entity_id)]
            for entity, mbid in await self._candidates(source, collection, mbids):
                found = await self._front(entity, mbid)
                if found is not None:
                    return found
        except GatewayError as exc:  # MusicBrainz or the archive unavailable: not now
            logger.info("no %s image for %s %s: %s", source, collection, entity_id, exc.message)
        return None

    async def _candidates(
        self, source: str, collection: str, mbids: list[str]
    ) -> list[tuple[str, str]]:
        if source == "coverartarchive-release" and collection == "releases":
            return [("release", mbid) for mbid in mbids]
        if source == "coverartarchive-release-group":
            if collection == "masters":
                return [("release-group", mbid) for mbid in mbids]
            groups = [await self._links.release_group_of(mbid) for mbid in mbids]
            return [("release-group", group) for group in dict.fromkeys(groups) if group]
        return []

    async def _front(self, entity: str, mbid: str) -> StoredImage | None:
        try:
            return (await self._cover_art.image(ImageRequest(entity, mbid, "front", None))).stored
        except GatewayError as exc:
            if exc.status == 404:
                return None
            raise
