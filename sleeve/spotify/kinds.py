"""The kinds of Spotify answer, and how long each stays fresh by default (seconds).

Catalog objects change slowly (a popularity figure, a market): a day for albums, tracks
and artists; an artist's album list and top tracks move more (six hours); search an hour;
the market list a week. Set any of them under ``cache.ttls.spotify``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["DEFAULT_TTLS", "UPSTREAM", "kind"]

UPSTREAM = "spotify"

DEFAULT_TTLS: Mapping[str, float] = {
    "album": 86400,
    "track": 86400,
    "artist": 86400,
    "artist_albums": 6 * 3600,
    "top_tracks": 6 * 3600,
    "search": 3600,
    "markets": 7 * 86400,
}


def kind(name: str) -> Kind:
    return Kind(UPSTREAM, name)
