"""The kinds of Cover Art Archive answer, and how long each stays fresh by default (seconds).

``listing``: the JSON list of a release's or release group's art. ``image``: where the
archive keeps an image (its 307 to archive.org; the bytes themselves are kept for good in
the image store). Art is uploaded and re-chosen now and then: an hour. Set either under
``cache.ttls.coverartarchive``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cache.keys import Kind

__all__ = ["DEFAULT_TTLS", "IMAGE", "LISTING", "UPSTREAM"]

UPSTREAM = "coverartarchive"
LISTING = Kind(UPSTREAM, "listing")
IMAGE = Kind(UPSTREAM, "image")

DEFAULT_TTLS: Mapping[str, float] = {"listing": 3600, "image": 3600}
