"""Who is calling: a client key, or an address when anonymous access is allowed.

Keys are configured as their SHA-256 (a leaked config file leaks no key). Clients send
theirs as ``X-Sleeve-Key``, or in the places a Discogs client puts a token
(``Authorization: Discogs token=…``, ``?token=…``) so that an unmodified Discogs client
can use one. A token that is a sleeve key is sleeve's business and is never forwarded to
Discogs; any other token is the client's own Discogs credential.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import Scope

from ..adapters.discogs import DiscogsCredentials

KEY_HEADER = b"x-sleeve-key"
_MAX_ADDRESSES = 10_000
STATE_KEY = "sleeve.client"


@dataclass(frozen=True, slots=True)
class Client:
    """A caller as the limits see it: ``key:NAME`` or ``address:IP``. Never the key itself."""

    identity: str
    limit: int
    key_in_discogs_form: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    message: str


@dataclass(frozen=True, slots=True)
class KnownKey:
    name: str
    limit: int


def key_digest(key: str | bytes) -> str:
    data = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(data).hexdigest()


class ClientDirectory:
    def __init__(
        self,
        keys: Iterable[tuple[str, str, int]],
        *,
        anonymous: bool,
        anonymous_limit: int,
    ) -> None:
        """``keys``: (name, sha256 hex of the key, limit) for every configured key."""
        self._keys = {digest: KnownKey(name, limit) for name, digest, limit in keys}
        self._anonymous = anonymous
        self._anonymous_limit = anonymous_limit
        self._addresses: dict[str, Client] = {}  # made once per address (bounded)

    def identify(self, scope: Scope) -> Client | Refusal:
        header_key, discogs_token = _presented_keys(scope)
        if header_key is not None:
            known = self._keys.get(key_digest(header_key))
            if known is None:
                return Refusal(401, "Unknown sleeve key in X-Sleeve-Key.")
            return Client(f"key:{known.name}", known.limit)
        if discogs_token is not None:
            known = self._keys.get(key_digest(discogs_token))
            if known is not None:
                return Client(f"key:{known.name}", known.limit, key_in_discogs_form=True)
        if not self._anonymous:
            return Refusal(401, "A sleeve key is required (X-Sleeve-Key).")
        address = (scope.get("client") or ("unknown", 0))[0]
        client = self._addresses.get(address)
        if client is None:
            if len(self._addresses) >= _MAX_ADDRESSES:
                self._addresses.clear()
            client = self._addresses[address] = Client(f"address:{address}", self._anonymous_limit)
        return client


def _presented_keys(scope: Scope) -> tuple[bytes | None, str | None]:
    """The ``X-Sleeve-Key`` header, and a token in a Discogs form, as sent."""
    header_key = authorization = None
    for name, value in scope["headers"]:
        if name == KEY_HEADER:
            header_key = value
        elif name == b"authorization":
            authorization = value.decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    parameters = dict(parse_qsl(query.decode("latin-1"))) if b"token=" in query else {}
    if authorization is None and not parameters:
        return header_key, None
    credentials = DiscogsCredentials.from_client(authorization, parameters)
    return header_key, credentials.token if credentials else None
