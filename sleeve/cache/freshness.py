"""How long an answer stays fresh, and what a stored answer may still be used for.

Pure functions of the clock and the settings. The vocabulary is RFC 9111's (fresh,
stale) and RFC 5861's two stale extensions:

- **stale-while-revalidate**: for a while past freshness, serve the stored answer at once
  and refresh it in the background;
- **stale-if-error**: for longer still, serve it when the upstream fails or times out.

An entry is kept in the store until the stale-if-error grace has run out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Lifetimes in seconds. Catalogue entities change rarely; listings and statistics more
# often; search results are the most volatile.
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

_KINDS = [
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


def resource_kind(path: str) -> str:
    """The kind of Discogs resource at ``path`` (``other`` if unknown)."""
    for pattern, kind in _KINDS:
        if pattern.match(path):
            return kind
    return "other"


class Usability(enum.Enum):
    FRESH = "fresh"  # serve it
    REVALIDATE = "revalidate"  # serve it, and refresh in the background
    IF_ERROR = "if-error"  # fetch; serve it only if the upstream fails
    NONE = "none"  # past every grace: fetch, and nothing to fall back on


@dataclass(frozen=True)
class FreshnessPolicy:
    """Lifetimes per resource kind and the two stale graces, all in seconds."""

    ttls: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    default_ttl: float = 3600
    negative_ttl: float = 300
    stale_while_revalidate: float = 86400
    stale_if_error: float = 7 * 86400

    def lifetime(self, kind: str, status: int) -> float:
        """How long an answer of ``status`` for a ``kind`` resource is fresh."""
        if status == 404:
            return self.negative_ttl
        return self.ttls.get(kind, self.default_ttl)

    def expiry(self, stored_at: float, kind: str, status: int) -> tuple[float, float]:
        """``(fresh_until, keep_until)`` for an answer stored at ``stored_at``."""
        fresh_until = stored_at + self.lifetime(kind, status)
        grace = max(self.stale_while_revalidate, self.stale_if_error)
        return fresh_until, fresh_until + grace

    def usability(self, fresh_until: float, keep_until: float, now: float) -> Usability:
        if now < fresh_until:
            return Usability.FRESH
        if now < min(fresh_until + self.stale_while_revalidate, keep_until):
            return Usability.REVALIDATE
        if now < min(fresh_until + self.stale_if_error, keep_until):
            return Usability.IF_ERROR
        return Usability.NONE
