"""The cached-hit fast path: a repeat of a request that already passed validation and
was answered from the cache is answered again without running the stack behind it.

connexion's middleware stack (routing, validation, error handling, the handler, the
rendering of URLs) costs far more than a hit itself. A request that is *byte-identical*
in what matters — method, path, query string, representation, host, ``If-None-Match``
(every input the contract validates), no credentials — to one that went through all of
it gets the same rendered bytes again (:mod:`sleeve.cache.rendered`), with its age and
freshness recomputed. A request that misses here carries its fast key on (in
``scope["state"]``) so that its answer can be remembered under it.

Requests with credentials of any kind (an ``Authorization`` header, ``token``/``key``/
``secret`` in the query) never take this path: their answers are private.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..adapters.discogs import CREDENTIAL_PARAMETERS
from ..cache.http_caching import cache_status, freshness_headers, if_none_match
from ..cache.keys import Kind
from ..cache.rendered import FAST_KEY, RenderedAnswer, RenderedAnswers

__all__ = ["FastKey", "HotPathMiddleware", "fast_key"]

FastKey = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
# Substrings, so also ``monkey=``: a false alarm only costs the slow path.
_CREDENTIAL_MARKERS = tuple(f"{name}=".encode() for name in CREDENTIAL_PARAMETERS)


def fast_key(scope: Scope) -> FastKey | None:
    """What identifies a request here, or ``None`` if it may not take the fast path."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    query: bytes = scope.get("query_string", b"")
    if any(marker in query for marker in _CREDENTIAL_MARKERS):
        return None
    accept = host = condition = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"accept":
            accept = value
        elif name == b"host":
            host = value
        elif name == b"if-none-match":  # a declared parameter: part of what was validated
            condition = value
    path = scope["path"].encode()
    return (path, query, accept, host, scope.get("root_path", "").encode(), condition)


class HotPathMiddleware:
    """Answers remembered requests directly; everything else goes to ``app``.

    ``count`` counts each answer given here as a hit of its kind, with the cache's own
    (``AnswerCache.count``).
    """

    def __init__(
        self,
        app: ASGIApp,
        answers: RenderedAnswers,
        count: Callable[[Kind, str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self._answers = answers
        self._count = count
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = fast_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        now = self._clock()
        answer = self._answers.recall(key, now)
        if answer is None:
            scope.setdefault("state", {})[FAST_KEY] = key
            await self.app(scope, receive, send)
            return
        self._count(answer.kind, "hit")
        status, body = 200, answer.body
        if if_none_match(_header(scope["headers"], b"if-none-match"), answer.etag):
            status, body = 304, b""
        headers = [*answer.headers, *_timing_headers(answer, now)]
        if status == 200:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _timing_headers(answer: RenderedAnswer, now: float) -> list[tuple[bytes, bytes]]:
    timing = freshness_headers(answer.stored_at, answer.fresh_until, now)
    return [
        (b"age", timing["Age"].encode()),
        (b"cache-control", timing["Cache-Control"].encode()),
        (b"cache-status", cache_status("hit", ttl=answer.fresh_until - now).encode()),
    ]


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None
