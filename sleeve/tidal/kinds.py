"""The kinds of TIDAL answer, and how long each stays fresh by default (seconds).

Catalog resources change slowly (a popularity figure, availability in a country): a day
for albums, tracks and artists, and for an album's items (its track list); search an
hour. Set any of them under ``cache.ttls.tidal``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["DEFAULT_TTLS", "UPSTREAM", "kind"]

UPSTREAM = "tidal"

DEFAULT_TTLS: Mapping[str, float] = {
    "album": 86400,
    "track": 86400,
    "artist": 86400,
    "album_items": 86400,
    "search": 3600,
}


def kind(name: str) -> Kind:
    return Kind(UPSTREAM, name)
