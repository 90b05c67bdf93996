"""The kinds of iTunes answer, and how long each stays fresh by default (seconds).

``search``: a term's results (the store's ranking moves, new releases arrive): an hour.
``lookup``: items by id or UPC: a day. ``artwork``: where an image is (the bytes are kept
for good in the image store). Set any of them under ``cache.ttls.itunes``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["ARTWORK", "DEFAULT_TTLS", "LOOKUP", "SEARCH", "UPSTREAM"]

UPSTREAM = "itunes"
SEARCH = Kind(UPSTREAM, "search")
LOOKUP = Kind(UPSTREAM, "lookup")
ARTWORK = Kind(UPSTREAM, "artwork")

DEFAULT_TTLS: Mapping[str, float] = {"search": 3600, "lookup": 86400, "artwork": 86400}
