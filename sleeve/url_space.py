"""sleeve's URL space: which upstream answers each path.

Every upstream keeps its own paths on sleeve, so a client changes only its host. This
table is the one answer to "whose path is this?": the edge reads it to speak errors and
rate-limit headers in that upstream's dialect, the cache to purge a path's answers.
Everything not claimed below (the Discogs database, and sleeve's own ``/_sleeve``,
``/images`` and ``/openapi.json``) is Discogs' space, the root of the document.
"""

from __future__ import annotations

__all__ = ["UPSTREAMS", "upstream_of"]

#: upstream → (path prefixes, exact paths). Order matters: first match wins.
_CLAIMS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("musicbrainz", ("/ws/2/",), ("/ws/2",)),
    ("coverartarchive", ("/release/", "/release-group/"), ("/release", "/release-group")),
    ("acousticbrainz", ("/api/v1/",), ("/api/v1",)),
)
DEFAULT = "discogs"

#: Every upstream with paths on sleeve.
UPSTREAMS: tuple[str, ...] = (*(upstream for upstream, _, _ in _CLAIMS), DEFAULT)


def upstream_of(path: str) -> str:
    """The upstream whose path ``path`` is (``/releases/1`` is Discogs', ``/release/1``
    the Cover Art Archive's)."""
    for upstream, prefixes, exact in _CLAIMS:
        if path.startswith(prefixes) or path in exact:
            return upstream
    return DEFAULT
