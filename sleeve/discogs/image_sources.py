"""Other sources of a Discogs release's or master's primary image: the Cover Art Archive's
front art of its MusicBrainz counterpart, found through the url-rels links.

The chain is configuration (``images.sources``, tried in order; ``discogs`` is Discogs
itself, see :class:`~sleeve.discogs.images.DiscogsImages`):

- ``coverartarchive-release``: the front of each MusicBrainz release linked to the
  Discogs release;
- ``coverartarchive-release-group``: the front of their release groups (for a master, of
  the release groups linked to it) — the art of another edition of the same record.

After Discogs, they stand in when it has no image or the day's budget is spent; before
it, they spare the budget. Every step goes through sleeve's caches and governance; a step
that fails or finds nothing passes to the next. (Discogs reaches into its peers here,
MusicBrainz and the archive, never the other way.)
"""

from __future__ import annotations

import logging

from ..coverart.paths import ImageRequest
from ..coverart.service import CoverArtService
from ..errors import GatewayError
from ..images.names import StoredImage
from ..musicbrainz.links import MusicBrainzLinks

__all__ = ["SOURCES", "CoverArtSources"]

logger = logging.getLogger("sleeve.images")

SOURCES = ("coverartarchive-release", "coverartarchive-release-group")


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
