"""One record per request: its id, its log line (credentials redacted) and its metrics.

uvicorn's access log prints the raw query string, and Discogs clients put ``token``,
``key`` and ``secret`` there; sleeve turns uvicorn's off and logs through this
middleware instead, with those values replaced (and never a header).

Outermost of the stack, it opens the request's
:class:`~sleeve.observability.request_record.RequestRecord` — its id is the client's
``X-Request-Id`` when that is sane (short, safe characters), else a new one, and goes
back in the answer's ``X-Request-Id`` — lets everything below note on it what it did
(operation, cache outcomes, upstream calls), and at the end counts the request and logs
one line::

    "GET /artists/1?token=***" 200 0.4ms id=5f2c…-1a op=getArtist cache=hit
    client=address:10.0.0.7 upstream_calls=0

(``server.log_format: json`` gives the same as fields: see :mod:`sleeve.observability.logs`.)
Lines are written in batches (:mod:`sleeve.observability.access_lines`), not as a
``logging`` record each.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.discogs import CREDENTIAL_PARAMETERS
from ..governance.clients import STATE_KEY
from ..observability.access_lines import AccessEntry, AccessLines
from ..observability.metrics import UNROUTED, Metrics
from ..observability.request_record import RequestRecord, open_record, request_id_from

__all__ = ["REDACTED", "AccessLogMiddleware", "log_target", "redacted_query", "request_id_of"]

REDACTED = "***"
REQUEST_ID = b"x-request-id"
_CREDENTIAL_MARKERS = tuple(f"{name}=" for name in CREDENTIAL_PARAMETERS)


def redacted_query(query_string: str) -> str:
    """``query_string`` with the value of every credential parameter replaced."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(
        [
            (name, REDACTED if name.lower() in CREDENTIAL_PARAMETERS else value)
            for name, value in pairs
        ]
    )


def log_target(path: str, query_string: bytes) -> str:
    """The path and query as the log shows them: the query as sent, unless it names a
    credential (in any case), which is then replaced."""
    if not query_string:
        return path
    query = query_string.decode("latin-1")
    lowered = query.lower()
    if any(marker in lowered for marker in _CREDENTIAL_MARKERS):
        query = redacted_query(query)
    return f"{path}?{query}"


def request_id_of(scope: Scope) -> str:
    """The request's id: its sane ``X-Request-Id``, else a new one."""
    return request_id_from(_header(scope, REQUEST_ID))


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, lines: AccessLines, metrics: Metrics | None = None) -> None:
        self.app = app
        self._lines = lines
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = open_record(request_id_of(scope))
        echoed = (REQUEST_ID, record.id.encode("ascii"))
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = time.perf_counter() - started
            operation = record.operation or _routed_operation(scope) or UNROUTED
            record.operation = operation
            if self._metrics is not None:
                self._metrics.observe_request(operation, status, elapsed)
            if self._lines.enabled():
                self._lines.add(_entry(scope, record, status, elapsed))


def _entry(scope: Scope, record: RequestRecord, status: int, elapsed: float) -> AccessEntry:
    return AccessEntry(
        time.time(),
        scope["method"],
        log_target(scope["path"], scope.get("query_string", b"")),
        status,
        elapsed * 1000,
        record.id,
        record.operation or UNROUTED,
        ",".join(record.cache) or "-",
        _client(scope),
        record.upstream_calls,
    )


def _client(scope: Scope) -> str:
    """The caller as the limits named it (``key:NAME`` or ``address:IP``), never a key."""
    client = scope.get("state", {}).get(STATE_KEY)
    if client is not None:
        return str(client.identity)
    return f"address:{(scope.get('client') or ('unknown', 0))[0]}"


def _routed_operation(scope: Scope) -> str | None:
    routing = scope.get("extensions", {}).get("connexion_routing", {})
    return routing.get("operation_id")


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None
