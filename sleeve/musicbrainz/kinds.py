"""The kinds of MusicBrainz answer, and how long each stays fresh by default (seconds).

Lookups (``/ws/2/release/<mbid>``) are of their entity's kind; lists are ``browse`` (by a
linked entity) or ``search``; reverse URL look-ups are ``url``. Entities are edited, but
slowly: a day. A browse page shifts as entities are added; search results most of all.
Set any of them under ``cache.ttls.musicbrainz``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["DEFAULT_TTLS", "ENTITIES", "UPSTREAM", "kind"]

UPSTREAM = "musicbrainz"
#: The entities of the web service (``rules.LOOKUP_INCLUDES`` has one entry each).
ENTITIES = (
    "area", "artist", "event", "instrument", "label", "place", "recording", "release",
    "release-group", "series", "url", "work",
)  # fmt: skip

DEFAULT_TTLS: Mapping[str, float] = {
    **{entity: 86400 for entity in ENTITIES},
    "browse": 6 * 3600,
    "search": 600,
}


def kind(name: str) -> Kind:
    """The kind ``name`` (an entity, ``browse``, ``search`` or ``url``)."""
    return Kind(UPSTREAM, name)
