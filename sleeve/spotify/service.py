"""The Spotify Web API's catalog, as sleeve forwards it (:mod:`sleeve.bearer_catalog`):
Spotify's JSON with ``href``, ``next`` and ``previous`` pointing at sleeve's ``/v1``,
errors read from Spotify's ``{"error": {"status", "message"}}``."""

from __future__ import annotations

import json

from ..bearer_catalog import BearerCatalog
from .kinds import UPSTREAM

__all__ = ["MEDIA_TYPE", "SpotifyService"]

MEDIA_TYPE = "application/json; charset=utf-8"


class SpotifyService(BearerCatalog):
    upstream_name = UPSTREAM
    media_type = MEDIA_TYPE
    api_prefix = ""  # every URL on Spotify's API host is the API's
    bad_scheme = "Only valid bearer authentication supported"  # Spotify's words

    def said(self, body: bytes) -> str | None:
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return None
        return message if isinstance(message, str) and message else None
