"""Who is calling and how often: Discogs credentials and the moving-window rate limit.

Pure logic, no aiohttp: the emulator feeds it headers, query parameters and clock readings.

Discogs accepts credentials as ``Authorization: Discogs token=…``, ``Authorization: Discogs
key=…, secret=…`` or the query parameters ``token`` / ``key`` + ``secret``. It throttles per
source IP with a moving 60 s window (60 authenticated, 25 anonymous requests) and reports
``X-Discogs-Ratelimit``, ``-Used`` and ``-Remaining`` on every answer.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum


class Caller(Enum):
    """What kind of credentials a request carried."""

    ANONYMOUS = "anonymous"
    AUTHENTICATED = "authenticated"
    INVALID = "invalid"


@dataclass(frozen=True)
class Credentials:
    """Credentials as presented; at most one of token and key/secret is meaningful."""

    token: str | None = None
    key: str | None = None
    secret: str | None = None
    scheme_ok: bool = True  # False for an Authorization header that isn't "Discogs …"


def parse_authorization(value: str) -> Credentials:
    """Parse ``Discogs token=…`` or ``Discogs key=…, secret=…``.

    Any other scheme (``OAuth …``, ``Bearer …``) is kept as "not ok": the emulator does not
    implement OAuth, and treating it as anonymous would hide a gateway bug.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "discogs":
        return Credentials(scheme_ok=False)
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if sep:
            fields[name.strip().lower()] = field_value.strip().strip('"')
    return Credentials(
        token=fields.get("token"), key=fields.get("key"), secret=fields.get("secret")
    )


def read_credentials(headers: Mapping[str, str], query: Mapping[str, str]) -> Credentials | None:
    """Credentials from the Authorization header, else from the query; None if there are none."""
    authorization = headers.get("Authorization")
    if authorization:
        return parse_authorization(authorization)
    if any(name in query for name in ("token", "key", "secret")):
        return Credentials(
            token=query.get("token"), key=query.get("key"), secret=query.get("secret")
        )
    return None


def classify(
    credentials: Credentials | None, tokens: set[str], key_secrets: Mapping[str, str]
) -> Caller:
    """Anonymous without credentials; otherwise authenticated only if they are known."""
    if credentials is None:
        return Caller.ANONYMOUS
    if not credentials.scheme_ok:
        return Caller.INVALID
    if credentials.token is not None:
        return Caller.AUTHENTICATED if credentials.token in tokens else Caller.INVALID
    if credentials.key is not None and key_secrets.get(credentials.key) == credentials.secret:
        return Caller.AUTHENTICATED
    return Caller.INVALID


@dataclass(frozen=True)
class Decision:
    """Outcome of one rate-limit check, with the numbers for the response headers."""

    allowed: bool
    limit: int
    used: int
    retry_after: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-Discogs-Ratelimit": str(self.limit),
            "X-Discogs-Ratelimit-Used": str(self.used),
            "X-Discogs-Ratelimit-Remaining": str(self.remaining),
        }


class MovingWindowLimiter:
    """At most ``limit`` accepted requests in any ``window_seconds``.

    Only accepted requests enter the window, so a client that backs off for ``Retry-After``
    seconds is served again; Discogs documents the window but not this detail.
    """

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._accepted: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._accepted and self._accepted[0] <= now - self.window_seconds:
            self._accepted.popleft()

    def acquire(self) -> Decision:
        """Count one request if there is room; otherwise say when there will be."""
        now = self._clock()
        self._expire(now)
        if len(self._accepted) >= self.limit:
            oldest = self._accepted[0] if self._accepted else now
            wait = oldest + self.window_seconds - now
            return Decision(False, self.limit, len(self._accepted), max(1, math.ceil(wait)))
        self._accepted.append(now)
        return Decision(True, self.limit, len(self._accepted))

    def peek(self) -> Decision:
        """The current numbers without counting a request (for answers we make up)."""
        self._expire(self._clock())
        return Decision(len(self._accepted) < self.limit, self.limit, len(self._accepted))

    def clear(self) -> None:
        self._accepted.clear()
