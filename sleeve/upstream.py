"""One upstream behind the cache and the gate: the path every proxied answer takes.

A service (Discogs, MusicBrainz, the Cover Art Archive) says only what is its own — the
cache key and kind of a request, the adapter call that answers it, how a non-200 reads,
how a 200 is rendered — and hands the rest to its :class:`ProxiedUpstream`::

    service ─ served(key, kind, call) ─► AnswerCache.get ─(miss)─► UpstreamGate.call ─► call()
            ─ fetched(call) ───────────────────────────────────► UpstreamGate.call ─► call()
            ─ respond(request, served, body, …) ─► cached_response (validators, 304, memory)

``call`` is the adapter call itself (``lambda: adapter.get(path, query)``); the gate runs
it within the upstream's limits, with retries, behind its breaker. An answer that takes
several upstream calls (the archive's redirects) is fetched with :meth:`served_by`, whose
fetch makes each of them through :meth:`call`: every call the upstream sees takes a slot.
Failures on the way become the :class:`~sleeve.errors.GatewayError` the upstream's
contract names.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from .adapters.http import UpstreamResponse
from .cache.answer_cache import AnswerCache, Fetch, Served
from .cache.keys import Kind
from .cache.responses import cached_response
from .errors import upstream_errors
from .governance.gate import UpstreamGate

__all__ = ["ProxiedUpstream"]


@dataclass(frozen=True)
class ProxiedUpstream:
    """An upstream as sleeve proxies it.

    ``keep``: the upstream's response headers worth storing with an answer (beyond
    ``Link``, ``Retry-After`` and ``Location``). ``unreachable_status`` and
    ``timeout_status``: what the upstream's contract says when it cannot be reached or is
    too slow (502 and 504; the Cover Art Archive says 503 for both).
    """

    cache: AnswerCache
    gate: UpstreamGate
    keep: tuple[str, ...] = ()
    unreachable_status: int = 502
    timeout_status: int = 504

    async def served(self, key: str, kind: Kind, call: Fetch) -> Served:
        """The answer under ``key``, from the cache or from ``call`` through the gate."""
        return await self.served_by(key, kind, lambda: self.call(call))

    async def served_by(self, key: str, kind: Kind, fetch: Fetch) -> Served:
        """The answer under ``key``, from the cache or from ``fetch``, which makes its
        upstream calls itself, each through :meth:`call`."""
        with self._failures():
            return await self.cache.get(key, kind, fetch, keep=self.keep)

    async def call(self, call: Fetch) -> UpstreamResponse:
        """One upstream call through the gate; failures as the adapter raised them."""
        return await self.gate.call(call)

    async def fetched(self, call: Fetch) -> UpstreamResponse:
        """``call``'s answer through the gate, never stored (a client's private answer)."""
        with self._failures():
            return await self.gate.call(call)

    def respond(
        self,
        request: Request,
        served: Served,
        body: bytes,
        headers: Mapping[str, str],
        *,
        media_type: str,
    ) -> Response:
        """``body``, rendered from ``served``, with its validators and caching headers."""
        return cached_response(
            request, served, body, headers, media_type=media_type, rendered=self.cache.rendered
        )

    def _failures(self) -> AbstractContextManager[None]:
        return upstream_errors(
            unreachable_status=self.unreachable_status, timeout_status=self.timeout_status
        )
