"""How long an answer stays fresh, and what a stored answer may still be used for.

Pure functions of the clock and the settings. The vocabulary is RFC 9111's (fresh,
stale) and RFC 5861's two stale extensions:

- **stale-while-revalidate**: for a while past freshness, serve the stored answer at once
  and refresh it in the background;
- **stale-if-error**: for longer still, serve it when the upstream fails or times out.

An entry is kept in the store until the stale-if-error grace has run out. Lifetimes are
per upstream and kind (:class:`~sleeve.cache.keys.Kind`); each upstream's package holds
its defaults (``sleeve.discogs.kinds``, ``sleeve.musicbrainz.kinds``, …), so this module
knows no upstream.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from .keys import Kind


class Usability(enum.Enum):
    FRESH = "fresh"  # serve it
    REVALIDATE = "revalidate"  # serve it, and refresh in the background
    IF_ERROR = "if-error"  # fetch; serve it only if the upstream fails
    NONE = "none"  # past every grace: fetch, and nothing to fall back on


@dataclass(frozen=True)
class FreshnessPolicy:
    """Lifetimes per upstream and kind (``ttls[upstream][kind]``), a default for kinds not
    listed, and the two stale graces, all in seconds."""

    ttls: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    default_ttl: float = 3600
    negative_ttl: float = 300
    stale_while_revalidate: float = 86400
    stale_if_error: float = 7 * 86400

    def lifetime(self, kind: Kind, status: int) -> float:
        """How long an answer of ``status`` for a ``kind`` resource is fresh."""
        if status == 404:
            return self.negative_ttl
        return self.ttls.get(kind.upstream, {}).get(kind.name, self.default_ttl)

    def expiry(self, stored_at: float, kind: Kind, status: int) -> tuple[float, float]:
        """``(fresh_until, keep_until)`` for an answer stored at ``stored_at``."""
        fresh_until = stored_at + self.lifetime(kind, status)
        grace = max(self.stale_while_revalidate, self.stale_if_error)
        return fresh_until, fresh_until + grace

    def usability(self, fresh_until: float, keep_until: float, now: float) -> Usability:
        """What a stored answer may be used for at ``now``.

        RFC 5861 §3: stale-while-revalidate "indicates that caches MAY serve the response
        in which it appears after it becomes stale, up to the indicated number of
        seconds", revalidating in the background. §4: stale-if-error lets a cache use a
        stale answer when "an error is encountered" (a 5xx, or no answer at all).
        """
        if now < fresh_until:
            return Usability.FRESH
        if now < min(fresh_until + self.stale_while_revalidate, keep_until):
            return Usability.REVALIDATE
        if now < min(fresh_until + self.stale_if_error, keep_until):
            return Usability.IF_ERROR
        return Usability.NONE
