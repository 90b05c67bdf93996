"""The MusicBrainz web service (``/ws/2``) adapter: identification and representation.

MusicBrainz wants a meaningful ``User-Agent`` (``App/1.0 ( contact )``) and picks JSON or
XML from ``fmt`` (or ``Accept``); sleeve always says which with both, so a mirror that
reads only one of them answers the same. The base URL is configuration: mirrors exist.

A 200 is checked before anyone keeps it: every JSON answer MusicBrainz sends is an
object, every XML one a ``<metadata>`` document; an HTML page (a proxy's, or a
maintenance notice) also starts with ``<`` and is :class:`UpstreamGarbage` — a failure of
the upstream like a 5xx, so the gate counts it against the breaker and may retry it.
"""

from __future__ import annotations

import re
from typing import Literal

from .http import Adapter, UpstreamGarbage, UpstreamResponse, checked_json_object

NAME = "MusicBrainz"
Representation = Literal["json", "xml"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}
_XML_METADATA = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<metadata[\s>/]")


class MusicBrainzAdapter(Adapter):
    async def get(
        self, path: str, query: list[tuple[str, str]], representation: Representation
    ) -> UpstreamResponse:
        """GET ``path`` (below ``/ws/2``, e.g. ``/artist/<mbid>``) in ``representation``."""
        headers = {
            "User-Agent": self._user_agent,
            "Accept": MEDIA_TYPES[representation].split(";", 1)[0],
        }
        answer = await self._http.get(
            NAME,
            f"{self.base_url}{path}",
            params=[*query, ("fmt", representation)],
            headers=headers,
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )
        if answer.status == 200 and not await _looks_like(answer.body, representation):
            raise UpstreamGarbage(
                NAME, f"{NAME} sent an answer that is not {representation}.", host=answer.host
            )
        return answer


async def _looks_like(body: bytes, representation: Representation) -> bool:
    """A cheap check that keeps a broken answer out of the cache."""
    if representation == "xml":
        return _XML_METADATA.match(body) is not None
    return await checked_json_object(body)
