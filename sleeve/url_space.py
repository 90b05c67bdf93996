"""sleeve's URL space: which upstream answers each path.

Every upstream keeps its own paths on sleeve, so a client changes only its host. This
table is the one answer to "whose path is this?": the edge reads it to speak errors and
rate-limit headers in that upstream's dialect, the cache to purge a path's answers.
Everything not claimed below (the Discogs database, and sleeve's own ``/_sleeve``,
``/images`` and ``/openapi.json``) is Discogs' space, the root of the document.

:func:`is_sleeves_own` tells the paths no upstream is ever asked for (sleeve's status
pages, its contract, kept blobs) from the rest, so that client limits can count them
apart: a dashboard polling ``/_sleeve/images/stats`` must not spend the quota a client has
for upstream-bound requests. ``/`` is not among them: it is Discogs' root, answered from
Discogs. (``/images/…`` neither: a miss there spends Discogs' image budget.)
"""

from __future__ import annotations

import functools

__all__ = ["UPSTREAMS", "is_sleeves_own", "is_uncounted", "upstream_of"]

#: upstream → (path prefixes, exact paths). Order matters: first match wins.
_CLAIMS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("musicbrainz", ("/ws/2/",), ("/ws/2",)),
    ("coverartarchive", ("/release/", "/release-group/"), ("/release", "/release-group")),
    ("acousticbrainz", ("/api/v1/",), ("/api/v1",)),
    ("itunes", ("/itunes/",), ("/search", "/lookup")),
    ("spotify", ("/v1/",), ("/v1",)),
    ("tidal", ("/v2/",), ("/v2",)),
)
DEFAULT = "discogs"

#: Every upstream with paths on sleeve.
UPSTREAMS: tuple[str, ...] = (*(upstream for upstream, _, _ in _CLAIMS), DEFAULT)


@functools.lru_cache(maxsize=8192)  # asked on every request: repeats cost a dict look-up
def upstream_of(path: str) -> str:
    """The upstream whose path ``path`` is (``/releases/1`` is Discogs', ``/release/1``
    the Cover Art Archive's)."""
    for upstream, prefixes, exact in _CLAIMS:
        if path.startswith(prefixes) or path in exact:
            return upstream
    return DEFAULT


# sleeve's own pages: its status pages and kept blobs, its contract, and the documentation
# and metrics pages where served.
_OWN_PREFIXES = ("/_sleeve/", "/docs/")
_OWN_PATHS = frozenset({"/_sleeve", "/openapi.json", "/docs", "/metrics"})


def is_sleeves_own(path: str) -> bool:
    """Whether sleeve answers ``path`` itself, never asking an upstream."""
    return path in _OWN_PATHS or path.startswith(_OWN_PREFIXES)


# Never counted against a client: probes and scrapers call every few seconds (a limit
# would make them lie), and the contract and the docs page are static, answered from
# memory (a docs page load is six requests).
_UNCOUNTED_PATHS = frozenset(
    {"/_sleeve/health", "/_sleeve/ready", "/metrics", "/openapi.json", "/docs"}
)
_UNCOUNTED_PREFIXES = ("/docs/",)


def is_uncounted(path: str) -> bool:
    """Whether requests for ``path`` are left out of client limits altogether."""
    return path in _UNCOUNTED_PATHS or path.startswith(_UNCOUNTED_PREFIXES)
