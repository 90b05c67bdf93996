"""The iTunes Search API adapter (``/search``, ``/lookup`` and the artwork CDN).

No credentials. Apple counts about 20 calls a minute per source address and answers
**403** past it, not 429: here a 403 from the API becomes a 429 with a minute's
``Retry-After``, so the gate pauses every process and retries within its budget, and
clients get a 503 with ``Retry-After`` — never a 403 that would tell them they are
forbidden. A 200 must be a JSON object with a ``results`` list (anything else, an HTML
error page say, is :class:`UpstreamGarbage` and never kept).
"""

from __future__ import annotations

import json

from .http import Adapter, UpstreamGarbage, UpstreamResponse, checked_json_object

NAME = "iTunes"
#: How long Apple's 403 is taken to last when it says nothing (its window is a minute).
RATE_LIMITED_FOR = 60


class ITunesAdapter(Adapter):
    async def get(self, path: str, query: list[tuple[str, str]]) -> UpstreamResponse:
        """GET ``path`` (``/search`` or ``/lookup``) with ``query``."""
        answer = await self._http.get(
            NAME,
            f"{self.base_url}{path}",
            params=query,
            headers={"User-Agent": self._user_agent, "Accept": "application/json"},
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )
        if answer.status == 403:
            retry_after = answer.headers.get("Retry-After") or str(RATE_LIMITED_FOR)
            return UpstreamResponse(429, {"Retry-After": retry_after}, answer.body, answer.host)
        if answer.status == 200 and not await _is_results(answer.body):
            raise UpstreamGarbage(
                NAME, f"{NAME} sent an answer that is not a result list.", host=answer.host
            )
        return answer

    async def image(self, url: str, *, max_bytes: int) -> UpstreamResponse:
        """GET an artwork ``url`` (on Apple's image CDN, checked by the caller)."""
        return await self._http.get(
            NAME,
            url,
            params=[],
            headers={"User-Agent": self._user_agent, "Accept": "image/*"},
            timeout=self._timeout,
            max_bytes=max_bytes,
        )


async def _is_results(body: bytes) -> bool:
    if not await checked_json_object(body):
        return False
    return isinstance(json.loads(body).get("results"), list)
