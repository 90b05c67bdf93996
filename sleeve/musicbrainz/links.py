"""From a Discogs entity to its MusicBrainz counterparts, through MusicBrainz' url-rels.

Ids are taken from MusicBrainz' answers, and an answer is not trusted: each must be an
MBID, as the contract asks of clients, before it goes into a path or a link.

MusicBrainz records Discogs pages as URL entities (``https://www.discogs.com/release/1``)
related to releases, release groups, artists and labels; the reverse look-up
``/ws/2/url?resource=…&inc=…-rels`` finds them. It goes through the same cache and the
same one-per-second governance as a client's identical request (same key), so a link
costs one upstream call per Discogs entity per cache lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules import MBID
from .service import MusicBrainzService

DISCOGS_WEB = "https://www.discogs.com"
# Discogs API collection → Discogs web path → the MusicBrainz entity that links to it.
DISCOGS_COLLECTIONS = {
    "releases": ("release", "release"),
    "masters": ("master", "release-group"),
    "artists": ("artist", "artist"),
    "labels": ("label", "label"),
}
RELATION_INCLUDES = "artist-rels+label-rels+release-group-rels+release-rels"


@dataclass(frozen=True)
class MusicBrainzLink:
    entity: str  # release | release-group | artist | label
    mbid: str
    name: str | None


def discogs_web_url(collection: str, entity_id: int) -> str:
    return f"{DISCOGS_WEB}/{DISCOGS_COLLECTIONS[collection][0]}/{entity_id}"


class MusicBrainzLinks:
    def __init__(self, musicbrainz: MusicBrainzService) -> None:
        self._musicbrainz = musicbrainz

    async def of_discogs(self, collection: str, entity_id: int) -> list[MusicBrainzLink]:
        """The MusicBrainz entities of the counterpart kind that link to this Discogs page
        (none when MusicBrainz knows no such URL)."""
        query = [("resource", discogs_web_url(collection, entity_id)), ("inc", RELATION_INCLUDES)]
        document = await self._musicbrainz.document("/url", query, "url")
        if not isinstance(document, dict):
            return []
        wanted = DISCOGS_COLLECTIONS[collection][1]
        return [
            MusicBrainzLink(wanted, mbid, _name(target))
            for relation in document.get("relations") or []
            if isinstance(relation, dict)
            and _target_type(relation) == wanted
            and isinstance(target := _target(relation), dict)
            and (mbid := checked_mbid(target.get("id"))) is not None
        ]

    async def release_group_of(self, release_mbid: str) -> str | None:
        """The release group a MusicBrainz release belongs to."""
        document = await self._musicbrainz.document(
            f"/release/{release_mbid}", [("inc", "release-groups")], "release"
        )
        group = document.get("release-group") if isinstance(document, dict) else None
        return checked_mbid(group.get("id")) if isinstance(group, dict) else None


def checked_mbid(value: object) -> str | None:
    """``value`` if it is an MBID (lower-cased), else None: never a path of its own."""
    return value.lower() if isinstance(value, str) and MBID.fullmatch(value) else None


def _name(target: dict) -> str | None:
    name = target.get("title") or target.get("name")
    return name if isinstance(name, str) else None


def _target_type(relation: dict) -> str:
    """The related entity's kind as sleeve names it: MusicBrainz' JSON says
    ``"target-type": "release_group"`` (and keys the target ``release_group``)."""
    return str(relation.get("target-type", "")).replace("_", "-")


def _target(relation: dict) -> object:
    """The related entity, under its kind's key (``release_group`` for a release group)."""
    kind = _target_type(relation)
    return relation.get(kind.replace("-", "_"), relation.get(kind))
