"""The kinds of MusicBrainz answer, and how long each stays fresh by default (seconds).

Lookups (``/ws/2/release/<mbid>``) are of their entity's kind, and so are the look-ups by
a code that names entities: ``isrc`` (its recordings), ``iswc`` (its works) and ``discid``
(the releases with that disc, or those whose media fit a TOC); ``genre`` is the list of
every genre (``/ws/2/genre/all``). Lists are ``browse`` (by a linked entity) or ``search``;
reverse URL look-ups are ``url``. Entities are edited, but slowly: a day; the genre list
changes when MusicBrainz adds a genre, a few times a year: a week. A browse page shifts as
entities are added; search results most of all. Set any of them under
``cache.ttls.musicbrainz``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["CODES", "DEFAULT_TTLS", "ENTITIES", "UPSTREAM", "kind"]

UPSTREAM = "musicbrainz"
#: The codes MusicBrainz looks entities up by (``/ws/2/isrc/<isrc>`` and the like).
CODES = ("isrc", "iswc", "discid")
#: What the web service looks up: its entities and the codes naming them
#: (``rules.LOOKUP_INCLUDES`` has one entry each).
ENTITIES = (
    "area", "artist", "event", "genre", "instrument", "label", "place", "recording",
    "release", "release-group", "series", "url", "work", *CODES,
)  # fmt: skip

DEFAULT_TTLS: Mapping[str, float] = {
    **{entity: 86400 for entity in ENTITIES},
    "genre": 7 * 86400,
    "browse": 6 * 3600,
    "search": 600,
}


def kind(name: str) -> Kind:
    """The kind ``name`` (an entity or code, ``browse``, ``search`` or ``url``)."""
    return Kind(UPSTREAM, name)
