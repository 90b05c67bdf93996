"""A self-hosted AcousticBrainz server (the public one closed in 2022), for what the
imported dumps do not hold. Optional: without a base URL nothing is ever sent."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from .http import Adapter, UpstreamResponse

NAME = "AcousticBrainz"


class AcousticBrainzAdapter(Adapter):
    async def get(self, path_and_query: str) -> UpstreamResponse:
        """GET an API path with its query (``/api/v1/<mbid>/low-level?n=0``)."""
        parts = urlsplit(path_and_query)
        return await self._http.get(
            NAME,
            f"{self.base_url}{parts.path}",
            params=parse_qsl(parts.query),
            headers={"User-Agent": self._user_agent, "Accept": "application/json"},
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )
