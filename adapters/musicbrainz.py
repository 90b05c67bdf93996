"""The MusicBrainz web service (``/ws/2``) adapter: identification and representation.

MusicBrainz wants a meaningful ``User-Agent`` (``App/1.0 ( contact )``) and picks JSON or
XML from ``fmt`` (or ``Accept``); sleeve always says which with both, so a mirror that
reads only one of them answers the same. The base URL is configuration: mirrors exist.
"""

from __future__ import annotations

from typing import Literal

from .http import Adapter, UpstreamResponse

NAME = "MusicBrainz"
Representation = Literal["json", "xml"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}


class MusicBrainzAdapter(Adapter):
    async def get(
        self, path: str, query: list[tuple[str, str]], representation: Representation
    ) -> UpstreamResponse:
        """GET ``path`` (below ``/ws/2``, e.g. ``/artist/<mbid>``) in ``representation``."""
        headers = {
            "User-Agent": self._user_agent,
            "Accept": MEDIA_TYPES[representation].split(";", 1)[0],
        }
        return await self._http.get(
            NAME,
            f"{self.base_url}{path}",
            params=[*query, ("fmt", representation)],
            headers=headers,
            timeout=self._timeout,
        )
