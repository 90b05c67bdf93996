"""The Spotify Web API adapter: catalog reads with a bearer token, and the accounts
service's client-credentials grant (both :class:`~adapters.bearer.BearerAdapter`'s)."""

from __future__ import annotations

from .bearer import BearerAdapter

__all__ = ["NAME", "SpotifyAdapter"]

NAME = "Spotify"


class SpotifyAdapter(BearerAdapter):
    name = NAME
    settings = "spotify"
