"""sleeve's own bearer token for an upstream: one client-credentials grant (RFC 6749
§4.4) shared by every process.

Each process keeps the token it knows; when it has none that is still good, it looks in
the shared store (Redis, or the embedded store's file), and only if none is there does one
process — whichever takes the store's lock — ask the upstream's token endpoint, the others
waiting for what it puts there. So N workers make one grant per token lifetime, not N. A
token the upstream refuses (a 401: revoked, or expired early) is forgotten here and in the
store, and the next call gets a new one. The token is kept out of every log line and
answer: it is only ever an ``Authorization`` header upstream.

Each upstream's ``token`` module names its own (:mod:`sleeve.spotify.token`,
:mod:`sleeve.tidal.token`): ``upstream`` names the token's key in the store, so that two
upstreams configured with the same client id never share one.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from .backends import StoreUnavailable
from .cache.entry import CachedAnswer
from .cache.single_flight import SingleFlight
from .cache.store import CacheStore

__all__ = ["EARLY", "ClientCredentials", "TokenGrants"]

#: A token is renewed this many seconds before the upstream says it expires (calls in
#: flight must not carry a token that lapses on the way).
EARLY = 60.0


class TokenGrants(Protocol):
    """What grants tokens: an upstream's adapter."""

    async def token(self, accounts_url: str, client_id: str, secret: str) -> dict[str, Any]:
        """``{"access_token": str, "expires_in": seconds, …}``, or raises."""
        ...


class ClientCredentials:
    """An upstream's token for sleeve's application; a subclass per upstream names it
    (``upstream``), which keys the token in the shared store."""

    upstream: ClassVar[str]

    def __init__(
        self,
        adapter: TokenGrants,
        store: CacheStore,
        *,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        lock_ttl: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._adapter = adapter
        self._store = store
        self._accounts_url = accounts_url
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock
        # One token per application, wherever it is configured (the id is not secret).
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:24]
        self._key = f"{self.upstream}-token:{digest}"
        self._flights: SingleFlight[str] = SingleFlight(store, prefix="", lock_ttl=lock_ttl)
        self._held: tuple[str, float] | None = None  # token, good until

    async def bearer(self) -> str:
        """A token that is good now."""
        held = self._held
        if held is not None and held[1] > self._clock():
            return held[0]
        token, _ = await self._flights.run(self._key, self._granted, self._kept)
        return token

    async def refused(self, token: str) -> None:
        """The upstream answered ``token`` with a 401: it is not to be used again."""
        if self._held is not None and self._held[0] == token:
            self._held = None
        with contextlib.suppress(StoreUnavailable):
            kept = await self._store.get(self._key)
            if kept is not None and kept.body.decode() == token:
                await self._store.delete(self._key)

    async def _kept(self) -> str | None:
        """The token in the shared store, if it is still good."""
        try:
            kept = await self._store.get(self._key)
        except StoreUnavailable:
            return None
        if kept is None or kept.fresh_until <= self._clock():
            return None
        self._held = (kept.body.decode(), kept.fresh_until)
        return self._held[0]

    async def _granted(self) -> str:
        """A new grant (unless another process put one in the store meanwhile)."""
        kept = await self._kept()
        if kept is not None:
            return kept
        grant = await self._adapter.token(self._accounts_url, self._client_id, self._secret)
        now = self._clock()
        good_until = now + max(0.0, float(grant["expires_in"]) - EARLY)
        token = str(grant["access_token"])
        self._held = (token, good_until)
        with contextlib.suppress(StoreUnavailable):  # then the others make their own
            await self._store.put(
                self._key, CachedAnswer(200, (), token.encode(), now, good_until, good_until, "")
            )
        return token
