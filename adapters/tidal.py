"""The TIDAL API adapter (v2, JSON:API): catalog reads with a bearer token, and the auth
service's client-credentials grant (both :class:`~adapters.bearer.BearerAdapter`'s).

Reads ask for ``application/vnd.api+json``, JSON:API's media type (TIDAL answers 406 to
anything it cannot serve it for); TIDAL also takes the client id and secret as form
fields, but HTTP Basic is what both services take.
"""

from __future__ import annotations

from .bearer import BearerAdapter

__all__ = ["JSON_API", "NAME", "TidalAdapter"]

NAME = "TIDAL"
JSON_API = "application/vnd.api+json"


class TidalAdapter(BearerAdapter):
    name = NAME
    settings = "tidal"
    accept = JSON_API
    accounts = "auth"
