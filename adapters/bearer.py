"""What the catalog APIs read with an OAuth bearer token share (Spotify, TIDAL): reads
as the holder of a token, and the client-credentials grant that gets sleeve its own.

Every read names its bearer token (sleeve's own, or a client's, passed through); the
token is :mod:`sleeve.client_credentials`' business, not this module's. A 200 must be a
JSON object (anything else is :class:`UpstreamGarbage`, never kept). The grant sends the
client id and secret by HTTP Basic (RFC 6749 §2.3.1); neither appears in any error.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

from .http import Adapter, UpstreamError, UpstreamGarbage, UpstreamResponse, checked_json_object

__all__ = ["BearerAdapter"]


class BearerAdapter(Adapter):
    """An upstream read with a bearer token; subclasses name it."""

    name: ClassVar[str]  # for messages and metrics: "Spotify"
    settings: ClassVar[str]  # its settings section: "spotify"
    accept: ClassVar[str] = "application/json"
    accounts: ClassVar[str] = "accounts"  # what its token service is called

    async def get(self, path: str, query: list[tuple[str, str]], bearer: str) -> UpstreamResponse:
        """GET ``path`` with ``query``, as the holder of ``bearer``."""
        answer = await self._http.get(
            self.name,
            f"{self.base_url}{path}",
            params=query,
            headers={
                "User-Agent": self._user_agent,
                "Accept": self.accept,
                "Authorization": f"Bearer {bearer}",
            },
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )
        if answer.status == 200 and not await checked_json_object(answer.body):
            raise UpstreamGarbage(
                self.name, f"{self.name} sent an answer that is not JSON.", host=answer.host
            )
        return answer

    async def token(self, accounts_url: str, client_id: str, secret: str) -> dict[str, Any]:
        """A client-credentials grant: ``{"access_token", "expires_in", …}``; raises
        :class:`UpstreamError` when there is none (refused credentials say so, and only
        that)."""
        name = self.name
        pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        answer = await self._http.post_form(
            f"{name} {self.accounts}",
            accounts_url,
            form={"grant_type": "client_credentials"},
            headers={"User-Agent": self._user_agent, "Authorization": f"Basic {pair}"},
            timeout=self._timeout,
        )
        if answer.status in (400, 401):
            raise UpstreamError(
                name,
                f"{name} refused sleeve's client credentials (upstreams.{self.settings}."
                "client_id and client_secret).",
                host=answer.host,
                cause="refused_credentials",
            )
        if answer.status != 200:
            raise UpstreamError(
                name,
                f"{name}'s {self.accounts} service answered {answer.status}.",
                host=answer.host,
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
            raise UpstreamGarbage(name, f"{name} sent a token answer sleeve cannot read.")
        return grant
