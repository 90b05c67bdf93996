"""The TIDAL API adapter (v2, JSON:API): catalog reads with a bearer token, and the auth
service's client-credentials grant.

Every call names its bearer token (sleeve's own, or a client's, passed through); the
token is :mod:`sleeve.tidal.token`'s business, not this module's. Reads ask for
``application/vnd.api+json``, JSON:API's media type (TIDAL answers 406 to anything it
cannot serve it for). A 200 must be a JSON object (anything else is
:class:`UpstreamGarbage`, never kept). The token request sends the client id and secret by
HTTP Basic (RFC 6749 §2.3.1; TIDAL also takes them as form fields); neither appears in any
error.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .http import Adapter, UpstreamError, UpstreamGarbage, UpstreamResponse, checked_json_object

NAME = "TIDAL"
JSON_API = "application/vnd.api+json"


class TidalAdapter(Adapter):
    async def get(self, path: str, query: list[tuple[str, str]], bearer: str) -> UpstreamResponse:
        """GET ``path`` (``/v2/albums/…``) with ``query``, as the holder of ``bearer``."""
        answer = await self._http.get(
            NAME,
            f"{self.base_url}{path}",
            params=query,
            headers={
                "User-Agent": self._user_agent,
                "Accept": JSON_API,
                "Authorization": f"Bearer {bearer}",
            },
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )
        if answer.status == 200 and not await checked_json_object(answer.body):
            raise UpstreamGarbage(
                NAME, f"{NAME} sent an answer that is not JSON.", host=answer.host
            )
        return answer

    async def token(self, accounts_url: str, client_id: str, secret: str) -> dict[str, Any]:
        """A client-credentials grant: ``{"access_token", "expires_in", …}``; raises
        :class:`UpstreamError` when there is none (refused credentials say so, and only
        that)."""
        pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        answer = await self._http.post_form(
            f"{NAME} auth",
            accounts_url,
            form={"grant_type": "client_credentials"},
            headers={"User-Agent": self._user_agent, "Authorization": f"Basic {pair}"},
            timeout=self._timeout,
        )
        if answer.status in (400, 401):
            raise UpstreamError(
                NAME,
                f"{NAME} refused sleeve's client credentials (upstreams.tidal.client_id "
                "and client_secret).",
                host=answer.host,
                cause="refused_credentials",
            )
        if answer.status != 200:
            raise UpstreamError(
                NAME, f"{NAME}'s auth service answered {answer.status}.", host=answer.host
            )
        try:
            grant = json.loads(answer.body)
        except ValueError:
            grant = None
        if not (
            isinstance(grant, dict)
            and isinstance(grant.get("access_token"), str)
            and isinstance(grant.get("expires_in"), int | float)
        ):
            raise UpstreamGarbage(NAME, f"{NAME} sent a token answer sleeve cannot read.")
        return grant
