"""An access log that cannot leak credentials.

uvicorn's access log prints the raw query string, and Discogs clients put ``token``,
``key`` and ``secret`` there; sleeve turns uvicorn's off and logs through this
middleware instead, with those values replaced.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.discogs import CREDENTIAL_PARAMETERS

logger = logging.getLogger("sleeve.access")

REDACTED = "***"


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
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            query = redacted_query(scope.get("query_string", b"").decode("latin-1"))
            target = scope["path"] + (f"?{query}" if query else "")
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info('"%s %s" %d %.1fms', scope["method"], target, status, elapsed_ms)
