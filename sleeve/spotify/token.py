"""sleeve's own Spotify token: one client-credentials grant an hour, shared by every
process (:mod:`sleeve.client_credentials` says how), kept in the store under
``spotify-token:…``. A token Spotify refuses (a 401) is renewed once per call."""

from __future__ import annotations

from ..client_credentials import EARLY
from ..client_credentials import ClientCredentials as SharedClientCredentials

__all__ = ["EARLY", "ClientCredentials"]


class ClientCredentials(SharedClientCredentials):
    """sleeve's Spotify token (:class:`sleeve.adapters.spotify.SpotifyAdapter` grants it)."""

    upstream = "spotify"
