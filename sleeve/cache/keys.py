"""Store keys of cached answers: upstream, method, path, sorted query and representation.

``discogs:GET:/releases/1?#default``, ``musicbrainz:GET:/ws/2/artist/<mbid>?fmt=json&inc=
aliases#json``, ``coverartarchive:GET:/release/<mbid>/front?#redirect``. The query holds
only declared parameters (so never credentials), sorted so that equal requests share a key.
Purges work on key prefixes: every key of a path starts with :func:`path_key_prefixes`.
"""

from __future__ import annotations

from urllib.parse import urlencode

UPSTREAM_PATHS = (
    ("musicbrainz", ("/ws/2/",)),
    ("coverartarchive", ("/release/", "/release-group/")),
    ("discogs", ("/",)),
)


def upstream_of(path: str) -> str:
    """Which upstream serves ``path`` in sleeve's URL space."""
    for upstream, prefixes in UPSTREAM_PATHS:
        if path.startswith(prefixes):
            return upstream
    return "discogs"


def cache_key(path: str, query: list[tuple[str, str]], variant: str | None) -> str:
    """The store key of a public GET of ``path`` with ``query`` in representation ``variant``."""
    return f"{upstream_of(path)}:GET:{path}?{urlencode(sorted(query))}#{variant or 'default'}"


def path_key_prefixes(path: str, *, whole_subtree: bool = False) -> list[str]:
    """The key prefixes of every answer cached for ``path`` (or every path under it, for
    whichever upstream serves it: ``/`` covers them all)."""
    if not whole_subtree:
        return [f"{upstream_of(path)}:GET:{path}?"]
    return [f"{upstream}:GET:{path}" for upstream, _ in UPSTREAM_PATHS]
