"""Cached hits answered as the request head arrives, before any ASGI machinery runs.

The fast path (:mod:`.hot_path`) already answers a repeat from memory, but by then the
server has made an ASGI cycle and a task for the request, and the access log, the client
limit and the request guard have each wrapped ``send``: more time than the hit itself,
and more than a bare Starlette app spends on a whole request. The connection
(:mod:`.http_protocol`) asks :meth:`HitFront.answer` first, with the head just parsed; when
it returns bytes, they are the whole answer, written at once, and no task is made.

It answers exactly what the middleware would have, as they would have — nothing is
skipped, each step is done directly:

* the fast key and the remembered answer (:func:`.hot_path.fast_key`,
  :func:`.hot_path.hit_response`), with its age and a 304 for a matching
  ``If-None-Match``;
* the client identified and counted (:mod:`.client_limits`'s headers), when the count can
  be decided without waiting (:meth:`~sleeve.governance.limiter.LimiterBackend.admit_now`);
* the request's id echoed, the request counted in the metrics and its access line
  written (:mod:`sleeve.observability.access_lines`).

Anything else (no remembered answer, a refusal to send, a client whose shared count must
be read first) returns ``None`` and the request goes the usual way, where every one of
those cases is handled; nothing has been counted by then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from ..cache.keys import Kind
from ..cache.rendered import RenderedAnswers
from ..governance.clients import ClientDirectory, Refusal
from ..governance.limiter import LimiterBackend
from ..observability.access_lines import AccessEntry, AccessLines
from ..observability.metrics import UNROUTED, Metrics
from .access_log import log_target, request_id_of
from .client_limits import limit_lines
from .hot_path import DeclaredQueries, fast_key, hit_head

__all__ = ["HitFront"]

Headers = Sequence[tuple[bytes, bytes]]
_STATUS_LINES = {
    status: f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode() for status in (200, 304)
}


class HitFront:
    def __init__(
        self,
        answers: RenderedAnswers,
        count: Callable[[Kind, str], None],
        declared: DeclaredQueries,
        directory: ClientDirectory,
        limits: LimiterBackend,
        *,
        window: float,
        lines: AccessLines,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._answers = answers
        self._count = count
        self._declared = declared
        self._directory = directory
        self._limits = limits
        self._window = window
        self._lines = lines
        self._metrics = metrics
        self._clock = clock
        self._server_headers: Headers = ()
        self._server_block = b""
        self.answered = 0  # requests answered here (the rest went the usual way)

    def answer(
        self, scope: dict[str, Any], *, keep_alive: bool, server_headers: Headers
    ) -> bytes | None:
        """The whole HTTP/1.1 answer to ``scope`` (a ``GET`` without a body, its head
        parsed), or ``None`` when it must go the usual way. ``server_headers``: those the
        server puts first on every answer (``Date``, ``Server``)."""
        started = time.perf_counter()
        key = fast_key(scope, self._declared)
        if key is None:
            return None
        now = self._clock()
        # Only upstream answers served by the answer cache are ever remembered, so a hit is
        # never one of sleeve's own pages (counted apart) nor an uncounted one.
        answer = self._answers.recall(key, now)
        if answer is None:
            return None
        path = scope["path"]
        client = self._directory.identify(scope)
        if isinstance(client, Refusal):
            return None
        admission = self._limits.admit_now(client.identity, client.limit, self._window)
        if admission is None or not admission.admitted:
            return None  # a 429, or a count to read first: the middleware's to do
        # From here on the request is answered here.
        self.answered += 1
        self._count(answer.kind, "hit")
        status, head, body = hit_head(answer, key, now)
        request_id = request_id_of(scope)
        parts = [
            _STATUS_LINES[status],
            self._server_lines(server_headers),
            head,
            limit_lines(admission, client.limit, self._window, path=path),
            b"x-request-id: %s\r\n" % request_id.encode("ascii"),
            b"\r\n" if keep_alive else b"connection: close\r\n\r\n",
            body,
        ]
        elapsed = time.perf_counter() - started
        operation = answer.operation or UNROUTED
        if self._metrics is not None:
            self._metrics.observe_request(operation, status, elapsed)
        if self._lines.enabled():
            target = log_target(path, scope["query_string"])
            self._lines.add(
                AccessEntry(
                    now, "GET", target, status, elapsed * 1000, request_id, operation, "hit",
                    client.identity, 0,
                )
            )  # fmt: skip
        return b"".join(parts)

    def _server_lines(self, server_headers: Headers) -> bytes:
        """The server's headers as wire lines, made again only when it changes them
        (uvicorn makes a new list when its ``Date`` moves on, once a second)."""
        if server_headers is not self._server_headers:
            self._server_headers = server_headers
            self._server_block = b"".join(b"%s: %s\r\n" % header for header in server_headers)
        return self._server_block
