"""TIDAL's API (v2, JSON:API), as sleeve forwards it (:mod:`sleeve.bearer_catalog`).

Answers are TIDAL's JSON:API documents with its API's links (``links.self``,
``links.next``, a relationship's ``self``) pointing at sleeve: the absolute ones, on
TIDAL's host under ``/v2``, are rewritten to sleeve's ``/v2``; the relative ones (what the
live service sends: ``/albums/1/relationships/items?…``, relative to ``/v2``) are left as
they are, since a client resolves them against its base URL, which is now sleeve's
``/v2``. Errors are read from the first JSON:API error's ``detail``.
"""

from __future__ import annotations

import json

from ..adapters.tidal import JSON_API
from ..bearer_catalog import BearerCatalog
from .kinds import UPSTREAM

__all__ = ["API_PREFIX", "MEDIA_TYPE", "TidalService"]

API_PREFIX = "/v2"
MEDIA_TYPE = JSON_API  # without parameters, as JSON:API wants it


class TidalService(BearerCatalog):
    upstream_name = UPSTREAM
    media_type = MEDIA_TYPE
    api_prefix = API_PREFIX  # the image CDN's files, on other hosts, are left alone

    def said(self, body: bytes) -> str | None:
        """The first JSON:API error's ``detail``: TIDAL's own words."""
        try:
            detail = json.loads(body)["errors"][0]["detail"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        return detail if isinstance(detail, str) and detail else None
