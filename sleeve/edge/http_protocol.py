"""The HTTP/1.1 connection itself, bounded: a request's head must arrive whole, soon, and
small.

uvicorn's httptools protocol reads a request head of any size, at any pace: a 50 MB
header block is accepted, and a client sending a header line every few seconds holds its
connection (and a file descriptor) forever, so a few dozen such clients lock everyone
else out. :func:`guarded_protocol` makes the same protocol refuse a head over
``max_head_bytes`` with 431 (RFC 6585 §5) and close a connection whose head has not
arrived within ``head_timeout`` seconds of its first byte, or of the connection opening.
Everything else (keep-alive, pipelining, concurrency limits) is uvicorn's own.
"""

from __future__ import annotations

import asyncio
import copyreg
import json
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["guarded_protocol"]


class _Bounded(type):
    """The metaclass of the classes :func:`guarded_protocol` makes, so that they pickle as
    the call that makes them: a uvicorn config holding one travels to spawned workers
    (``sleeve serve --workers``), where a class made at run time has no importable name."""


def guarded_protocol(*, max_head_bytes: int, head_timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with these bounds, as a class for ``uvicorn.Config(http=…)``."""
    protocol = _Bounded(
        "GuardedHttpToolsProtocol",
        (_GuardedHttpToolsProtocol,),
        {"max_head_bytes": max_head_bytes, "head_timeout": head_timeout},
    )
    return cast(type[HttpToolsProtocol], protocol)


def _remade(max_head_bytes: int, head_timeout: float) -> type[HttpToolsProtocol]:
    return guarded_protocol(max_head_bytes=max_head_bytes, head_timeout=head_timeout)


def _reduced(protocol: Any) -> tuple[Any, tuple[int, float]]:
    return _remade, (protocol.max_head_bytes, protocol.head_timeout)


copyreg.pickle(_Bounded, _reduced)


class _GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = 32 << 10
    head_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()  # a connection that never sends a byte is a slow head too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_timer is None:
            self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        if self._counted(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._counted(len(name) + len(value) + 4):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._stop_head_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _counted(self, size: int) -> bool:
        """Add ``size`` to the head; past the bound, refuse the request (once)."""
        if self._refused:
            return False
        self._head_bytes += size
        if self._head_bytes <= self.max_head_bytes:
            return True
        self._refuse(
            431,
            "Request Header Fields Too Large",
            f"The request line and headers are over {self.max_head_bytes} bytes.",
        )
        return False

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.cycle is None or self.cycle.response_complete:  # no request under way
            self.logger.info("closing a connection whose request head did not arrive in time")
            self._refuse(
                408, "Request Timeout", f"No whole request head within {self.head_timeout:g} s."
            )

    def _refuse(self, status: int, reason: str, message: str) -> None:
        """Answer ``status`` (``{"message": …}``, the default dialect) and close."""
        self._refused = True
        self._stop_head_timer()
        body = json.dumps({"message": message}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()
