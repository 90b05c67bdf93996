"""Per-client limits, told to every client on every answer.

Each client (see :mod:`sleeve.governance.clients`) gets a sliding-window limit. Answers carry the
count the way Discogs does (``X-Discogs-Ratelimit``, ``-Used``, ``-Remaining``, so Discogs
clients that pace themselves keep working) and the IETF way (``RateLimit-Policy`` and
``RateLimit``, draft-ietf-httpapi-ratelimit-headers). Past the limit: 429 with
``Retry-After``. This sits in front of the fast path, so cached hits are counted too.

sleeve's own pages (:func:`sleeve.url_space.is_sleeves_own`: ``/_sleeve/…``, …) are counted
apart, with the same limit, under their own policy name (``sleeve-pages``): polling the
stats page spends nothing of a client's upstream-bound quota, and is still bounded (the
stats walk the image store).

Probes, scrapers, the contract and the docs page are not counted at all
(:func:`sleeve.url_space.is_uncounted`).

When the shared limiter (Redis) is away, limits fall back to this process alone rather
than refusing or waving everyone through (:mod:`sleeve.governance.fallback`).
"""

from __future__ import annotations

import math
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..governance.clients import STATE_KEY, ClientDirectory, Refusal
from ..governance.limiter import Admission, LimiterBackend
from ..governance.priority import done_on_behalf, on_behalf_of
from ..url_space import is_sleeves_own, is_uncounted, upstream_of
from .error_dialects import send_error

POLICY = "sleeve"
PAGES_POLICY = "sleeve-pages"


def limit_headers(
    admission: Admission, limit: int, window: float, *, path: str = "/", policy: str = POLICY
) -> list[tuple[bytes, bytes]]:
    """The client's count, as Discogs and the IETF draft say it (and as AcousticBrainz
    said it, on AcousticBrainz paths)."""
    reset = math.ceil(admission.reset)
    remaining = b"%d" % admission.remaining
    headers = [
        (b"x-discogs-ratelimit", b"%d" % limit),
        (b"x-discogs-ratelimit-used", b"%d" % admission.used),
        (b"x-discogs-ratelimit-remaining", remaining),
        (b"ratelimit-policy", b'"%s";q=%d;w=%d' % (policy.encode(), limit, math.ceil(window))),
        (b"ratelimit", b'"%s";r=%s;t=%d' % (policy.encode(), remaining, reset)),
    ]
    if upstream_of(path) != "acousticbrainz":
        return headers
    return [
        (b"x-ratelimit-limit", b"%d" % limit),
        (b"x-ratelimit-remaining", remaining),
        (b"x-ratelimit-reset-in", b"%d" % reset),
        (b"x-ratelimit-reset", b"%d" % (math.ceil(time.time()) + reset)),
        *headers,
    ]


def limit_lines(
    admission: Admission, limit: int, window: float, *, path: str = "/", policy: str = POLICY
) -> bytes:
    """:func:`limit_headers` as wire lines, made in one step for the hit front (a test
    holds the two equal)."""
    if upstream_of(path) == "acousticbrainz":
        return b"".join(b"%s: %s\r\n" % header for header in limit_headers(
            admission, limit, window, path=path, policy=policy
        ))  # fmt: skip
    return _LINES % (
        limit,
        admission.used,
        admission.remaining,
        policy.encode(),
        limit,
        math.ceil(window),
        policy.encode(),
        admission.remaining,
        math.ceil(admission.reset),
    )


_LINES = (
    b"x-discogs-ratelimit: %d\r\nx-discogs-ratelimit-used: %d\r\n"
    b'x-discogs-ratelimit-remaining: %d\r\nratelimit-policy: "%s";q=%d;w=%d\r\n'
    b'ratelimit: "%s";r=%d;t=%d\r\n'
)


class ClientLimitMiddleware:
    def __init__(
        self, app: ASGIApp, directory: ClientDirectory, limits: LimiterBackend, *, window: float
    ) -> None:
        self.app = app
        self._directory = directory
        self._limits = limits
        self._window = window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_uncounted(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = self._directory.identify(scope)
        if isinstance(client, Refusal):
            await send_error(
                scope,
                send,
                client.status,
                client.message,
                [(b"www-authenticate", b"X-Sleeve-Key")],
            )
            return
        scope.setdefault("state", {})[STATE_KEY] = client
        own = is_sleeves_own(scope["path"])
        name = f"{PAGES_POLICY}|{client.identity}" if own else client.identity
        limiter = self._limits.limiter(name, client.limit, self._window)
        admission = await limiter.acquire()
        headers = limit_headers(
            admission,
            client.limit,
            self._window,
            path=scope["path"],
            policy=PAGES_POLICY if own else POLICY,
        )
        if not admission.admitted:
            retry_after = max(1, math.ceil(admission.retry_after))
            message = (
                f"Rate limit of {client.limit} requests per {self._window:g} s reached; "
                f"retry in {retry_after} s."
            )
            await send_error(
                scope, send, 429, message, [*headers, (b"retry-after", str(retry_after).encode())]
            )
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        behalf = on_behalf_of(client.identity)  # the upstream's line is fair between clients
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            done_on_behalf(behalf)
