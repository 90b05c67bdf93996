"""The kinds of Discogs resource, and how long each stays fresh by default (seconds).

Catalogue entities change rarely; listings and statistics more often; search results are
the most volatile. Set any of them under ``cache.ttls.discogs``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["DEFAULT_TTLS", "ENTITY_PATH", "UPSTREAM", "kind_of"]

UPSTREAM = "discogs"
#: The path of one entity: its collection (``releases``, ``masters``, ``artists``,
#: ``labels``) and its id.
ENTITY_PATH = re.compile(r"^/(releases|masters|artists|labels)/([0-9]+)$")

DEFAULT_TTLS: Mapping[str, float] = {
    "service": 3600,
    "artist": 86400,
    "label": 86400,
    "master": 86400,
    "release": 86400,
    "artist_releases": 6 * 3600,
    "label_releases": 6 * 3600,
    "master_versions": 6 * 3600,
    "release_rating": 3600,
    "release_user_rating": 3600,
    "release_stats": 3600,
    "search": 600,
}

_PATHS = [
    (re.compile(r"^/$"), "service"),
    (re.compile(r"^/artists/[^/]+$"), "artist"),
    (re.compile(r"^/artists/[^/]+/releases$"), "artist_releases"),
    (re.compile(r"^/labels/[^/]+$"), "label"),
    (re.compile(r"^/labels/[^/]+/releases$"), "label_releases"),
    (re.compile(r"^/masters/[^/]+$"), "master"),
    (re.compile(r"^/masters/[^/]+/versions$"), "master_versions"),
    (re.compile(r"^/releases/[^/]+$"), "release"),
    (re.compile(r"^/releases/[^/]+/rating$"), "release_rating"),
    (re.compile(r"^/releases/[^/]+/rating/[^/]+$"), "release_user_rating"),
    (re.compile(r"^/releases/[^/]+/stats$"), "release_stats"),
    (re.compile(r"^/database/search$"), "search"),
]


def kind_of(path: str) -> Kind:
    """The kind of Discogs resource at ``path`` (``other`` if unknown)."""
    for pattern, name in _PATHS:
        if pattern.match(path):
            return Kind(UPSTREAM, name)
    return Kind(UPSTREAM, "other")
