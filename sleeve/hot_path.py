"""The cached-hit fast path: a repeat of a request that already passed validation and
was answered from the cache is answered again without running the stack behind it.

connexion's middleware stack (routing, validation, error handling, the handler, the
rendering of URLs) costs far more than a hit itself. A request that is *byte-identical*
in what matters — method, path, query string, representation, host, ``If-None-Match``
(every input the contract validates), no credentials — to one that went through all of
it gets the same rendered bytes again, with its age and
freshness recomputed. Answers are kept here only while fresh, and never longer than
``max_age`` seconds, so a purge or a refresh made by another process shows within that.

Requests with credentials of any kind (an ``Authorization`` header, ``token``/``key``/
``secret`` in the query) never take this path: their answers are private.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.discogs import CREDENTIAL_PARAMETERS

from .cache.http_caching import cache_status, if_none_match

FastKey = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
# Substrings, so also ``monkey=``: a false alarm only costs the slow path.
_CREDENTIAL_MARKERS = tuple(f"{name}=".encode() for name in CREDENTIAL_PARAMETERS)


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """A 200 exactly as it was sent, less the headers that change with time."""

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    etag: str
    stored_at: float
    fresh_until: float
    serve_until: float
    kind: str


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


class RenderedAnswers:
    """An in-process map from fast keys to rendered answers, least recently used out
    first, bounded in bytes of body (some answers are tiny, some pages are large)."""

    def __init__(self, *, max_bytes: int = 64 << 20, max_age: float = 5.0) -> None:
        self._entries: OrderedDict[FastKey, RenderedAnswer] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self.max_age = max_age

    def remember(self, key: FastKey, answer: RenderedAnswer) -> None:
        self._forget(key)
        self._entries[key] = answer
        self._bytes += len(answer.body)
        while self._bytes > self._max_bytes:
            self._forget(next(iter(self._entries)))

    def recall(self, key: FastKey, now: float) -> RenderedAnswer | None:
        answer = self._entries.get(key)
        if answer is None:
            return None
        if now >= answer.serve_until:
            self._forget(key)
            return None
        self._entries.move_to_end(key)
        return answer

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _forget(self, key: FastKey) -> None:
        answer = self._entries.pop(key, None)
        if answer is not None:
            self._bytes -= len(answer.body)


class HotPathMiddleware:
    """Answers remembered requests directly; everything else goes to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        answers: RenderedAnswers,
        count_hit: Callable[[str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self._answers = answers
        self._count_hit = count_hit
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = fast_key(scope)
        now = self._clock()
        answer = None if key is None else self._answers.recall(key, now)
        if answer is None:
            await self.app(scope, receive, send)
            return
        self._count_hit(answer.kind)
        status, body = 200, answer.body
        if if_none_match(_header(scope["headers"], b"if-none-match"), answer.etag):
            status, body = 304, b""
        headers = [*answer.headers, *_timing_headers(answer, now)]
        if status == 200:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _timing_headers(answer: RenderedAnswer, now: float) -> list[tuple[bytes, bytes]]:
    age = max(0, int(now - answer.stored_at))
    left = answer.fresh_until - now
    return [
        (b"age", str(age).encode()),
        (b"cache-control", f"public, max-age={max(0, math.floor(left))}".encode()),
        (b"cache-status", cache_status("hit", ttl=left).encode()),
    ]


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None
