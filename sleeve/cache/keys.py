"""Store keys of cached answers, and the kinds of resource that pick their lifetimes.

``discogs:GET:/releases/1?#default``, ``musicbrainz:GET:/ws/2/artist/<mbid>?fmt=json&inc=
aliases#json``, ``coverartarchive:GET:/release/<mbid>/front?#redirect``: upstream, method,
path, sorted query and representation. The query holds only declared parameters (so never
credentials), sorted so that equal requests share a key. Purges work on key prefixes:
every key of a path starts with :func:`path_key_prefixes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from ..url_space import UPSTREAMS, upstream_of

__all__ = ["Kind", "cache_key", "path_key_prefixes"]


@dataclass(frozen=True, slots=True)
class Kind:
    """What sort of resource an answer is, for one upstream (``discogs`` / ``release``).

    It picks the answer's lifetime (``cache.ttls.<upstream>.<name>``) and names its
    counters (``discogs:release:hit``). Two upstreams' kinds never share a lifetime,
    whatever their names.
    """

    upstream: str
    name: str

    def __str__(self) -> str:
        return f"{self.upstream}:{self.name}"


def cache_key(upstream: str, path: str, query: list[tuple[str, str]], variant: str | None) -> str:
    """The store key of a public GET of ``path`` on ``upstream`` with ``query``, in the
    representation ``variant``."""
    return f"{upstream}:GET:{path}?{urlencode(sorted(query))}#{variant or 'default'}"


def path_key_prefixes(path: str, *, whole_subtree: bool = False) -> list[str]:
    """The key prefixes of every answer cached for ``path`` (or every path under it, for
    whichever upstream serves it: ``/`` covers them all)."""
    if not whole_subtree:
        return [f"{upstream_of(path)}:GET:{path}?"]
    return [f"{upstream}:GET:{path}" for upstream in UPSTREAMS]
