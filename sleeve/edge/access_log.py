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
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.discogs import CREDENTIAL_PARAMETERS
from ..governance.clients import STATE_KEY
from ..observability.metrics import UNROUTED, Metrics
from ..observability.request_record import RequestRecord, open_record, request_id_from

logger = logging.getLogger("sleeve.access")

REDACTED = "***"
REQUEST_ID = b"x-request-id"


def redacted_query(query_string: str) -> str:
    """``query_string`` with the value of every credential parameter replaced."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(
        [
            (name, REDACTED if name.lower() in CREDENTIAL_PARAMETERS else value)
            for name, value in pairs
        ]
    )


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = open_record(request_id_from(_header(scope, REQUEST_ID)))
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
            if logger.isEnabledFor(logging.INFO):
                _log(scope, record, status, elapsed)


def _log(scope: Scope, record: RequestRecord, status: int, elapsed: float) -> None:
    query = redacted_query(scope.get("query_string", b"").decode("latin-1"))
    target = scope["path"] + (f"?{query}" if query else "")
    cache = ",".join(record.cache) or "-"
    client = _client(scope)
    elapsed_ms = elapsed * 1000
    logger.info(
        '"%s %s" %d %.1fms id=%s op=%s cache=%s client=%s upstream_calls=%d',
        scope["method"],
        target,
        status,
        elapsed_ms,
        record.id,
        record.operation,
        cache,
        client,
        record.upstream_calls,
        extra={
            "request_id": record.id,
            "method": scope["method"],
            "target": target,
            "status": status,
            "duration_ms": round(elapsed_ms, 3),
            "operation": record.operation,
            "cache": cache,
            "client": client,
            "upstream_calls": record.upstream_calls,
        },
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
