"""The Cover Art Archive adapter: listings and image look-ups, redirects not followed.

The archive answers image requests with a 307 to archive.org; sleeve wants to see (and
cache) that redirect, and to check each hop against its allow-list before following it,
so nothing here follows redirects by itself.
"""

from __future__ import annotations

from .http import Adapter, UpstreamResponse

NAME = "Cover Art Archive"


class CoverArtAdapter(Adapter):
    async def get(self, url: str, *, accept: str, max_bytes: int | None = None) -> UpstreamResponse:
        """GET ``url``: a path under :attr:`base_url`, or a redirect target it pointed at
        (an image: give ``max_bytes``, the image store's bound)."""
        headers = {"User-Agent": self._user_agent, "Accept": accept}
        return await self._http.get(
            NAME,
            url,
            params=[],
            headers=headers,
            timeout=self._timeout,
            max_bytes=max_bytes or self._max_bytes,
        )
