"""sleeve's own TIDAL token: one client-credentials grant from TIDAL's auth service a day
(its tokens last 86400 s), shared by every process (:mod:`sleeve.client_credentials` says
how), kept in the store under ``tidal-token:…``. A token TIDAL refuses (a 401) is renewed
once per call."""

from __future__ import annotations

from ..client_credentials import ClientCredentials as SharedClientCredentials

__all__ = ["ClientCredentials"]


class ClientCredentials(SharedClientCredentials):
    """sleeve's TIDAL token (:class:`sleeve.adapters.tidal.TidalAdapter` grants it)."""

    upstream = "tidal"
