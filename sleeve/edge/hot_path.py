"""The cached-hit fast path: a repeat of a request that already passed validation and
was answered from the cache is answered again without running the stack behind it.

connexion's middleware stack (routing, validation, error handling, the handler, the
rendering of URLs) costs far more than a hit itself. A request that is identical in
everything its answer was made from — method, path, its declared query parameters (in
any order), representation, scheme and host (the base of every URL in the answer),
``If-None-Match`` — to one that went through all of it gets the same rendered bytes again
(:mod:`sleeve.cache.rendered`), with its age and freshness recomputed. A request that
misses here carries its fast key on (in ``scope["state"]``) so that its answer can be
remembered under it.

Never here: requests with credentials of any kind (an ``Authorization`` header, ``token``/
``key``/``secret`` in the query: their answers are private), and requests with a query
parameter the contract does not declare for the path (they go the whole way, so no
made-up parameter can mint entries, and what an upstream's rules say of one still holds).
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from ..adapters.discogs import CREDENTIAL_PARAMETERS
from ..cache.http_caching import cache_status, freshness_headers, if_none_match
from ..cache.keys import Kind
from ..cache.rendered import FAST_KEY, RenderedAnswer, RenderedAnswers
from ..observability.request_record import current
from .allowed_methods import route_pattern

__all__ = [
    "DeclaredQueries",
    "FastKey",
    "HotPathMiddleware",
    "fast_key",
    "hit_head",
    "hit_response",
]

FastKey = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
# Substrings, so also ``monkey=``: a false alarm only costs the slow path.
_CREDENTIAL_MARKERS = tuple(f"{name}=".encode() for name in CREDENTIAL_PARAMETERS)


class DeclaredQueries:
    """The query parameters the contract declares for each ``GET`` path, found with one
    regex for all of them (literal paths before templated ones, as routing prefers)."""

    def __init__(self, paths: Mapping[str, Mapping[str, Any]], parameters: Mapping) -> None:
        ordered = sorted(
            (template for template, item in paths.items() if "get" in item),
            key=lambda template: template.count("{"),
        )
        self._names = [_query_names(paths[template]["get"], parameters) for template in ordered]
        self._routes = re.compile(
            "|".join(f"(?P<r{i}>{route_pattern(t).pattern})" for i, t in enumerate(ordered))
        )

    def names(self, path: str) -> frozenset[str] | None:
        """What ``path``'s operation declares, or None when no ``GET`` path matches."""
        match = self._routes.fullmatch(path)
        return None if match is None else self._names[int(match.lastgroup[1:])]  # type: ignore[index]


def _query_names(operation: Mapping[str, Any], parameters: Mapping) -> frozenset[str]:
    declared = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = parameters[parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            declared.append(parameter["name"])
    return frozenset(declared)


def fast_key(scope: Scope, declared: DeclaredQueries) -> FastKey | None:
    """What identifies a request here, or ``None`` if it may not take the fast path."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    raw: bytes = scope.get("query_string", b"")
    query = b""
    if raw:
        if any(marker in raw for marker in _CREDENTIAL_MARKERS):
            return None
        normalised = _declared_query(scope["path"], raw, declared)
        if normalised is None:
            return None
        query = normalised
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
    base = (scope.get("scheme", "http") + scope.get("root_path", "")).encode()
    return (path, query, accept, host, base, condition)


def _declared_query(path: str, query: bytes, declared: DeclaredQueries) -> bytes | None:
    """The query in one spelling (sorted, re-encoded), if every name in it is declared."""
    names = declared.names(path)
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if names is None or not {name for name, _ in pairs} <= names:
        return None
    return urlencode(sorted(pairs)).encode("latin-1")


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
        declared: DeclaredQueries,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self._answers = answers
        self._count = count
        self._declared = declared
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = fast_key(scope, self._declared)
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
        record = current()  # for the request's log line and metrics
        if record is not None:
            record.operation = answer.operation
            record.cache.append("hit")
        status, headers, body = hit_response(answer, key, now)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def hit_response(
    answer: RenderedAnswer, key: FastKey, now: float
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The repeat's status, headers and body: a 304 when its ``If-None-Match`` (part of
    its fast key) matches, else the remembered 200, with its age recomputed."""
    status, body = _status_and_body(answer, key)
    headers = [*answer.headers, *_timing(*_ages(answer, now))[0]]
    if status == 200:
        headers.append((b"content-length", str(len(body)).encode()))
    return status, headers, body


def hit_head(answer: RenderedAnswer, key: FastKey, now: float) -> tuple[int, bytes, bytes]:
    """:func:`hit_response` with the headers as wire lines (for the edge's front)."""
    status, body = _status_and_body(answer, key)
    head = answer.head + _timing(*_ages(answer, now))[1]
    if status == 200:
        head += b"content-length: %d\r\n" % len(body)
    return status, head, body


def _status_and_body(answer: RenderedAnswer, key: FastKey) -> tuple[int, bytes]:
    condition = key[5]
    if condition and if_none_match(condition.decode("latin-1"), answer.etag):
        return 304, b""
    return 200, answer.body


def _ages(answer: RenderedAnswer, now: float) -> tuple[int, int]:
    """``Age`` and what is left of the freshness, in whole seconds: what the timing headers
    say, so they are made once per pair (a second's repeats share them)."""
    return max(0, int(now - answer.stored_at)), math.floor(answer.fresh_until - now)


@functools.lru_cache(maxsize=4096)
def _timing(age: int, ttl: int) -> tuple[tuple[tuple[bytes, bytes], ...], bytes]:
    stored_at = 0.0  # the headers' functions take times; these give back age and ttl
    timing = freshness_headers(stored_at, stored_at + age + ttl, stored_at + age)
    headers = (
        (b"age", timing["Age"].encode()),
        (b"cache-control", timing["Cache-Control"].encode()),
        (b"cache-status", cache_status("hit", ttl=ttl).encode()),
    )
    return headers, b"".join(b"%s: %s\r\n" % header for header in headers)
