"""The HTTP/1.1 connection itself, bounded: a request's head must arrive whole, soon, and
small.

uvicorn's httptools protocol reads a request head of any size, at any pace: a 50 MB
header block is accepted, and a client sending a header line every few seconds holds its
connection (and a file descriptor) forever, so a few dozen such clients lock everyone
else out. :func:`guarded_protocol` makes the same protocol refuse a head over
``max_head_bytes`` with 431 (RFC 6585 §5) and close a connection whose head has not
arrived within ``head_timeout`` seconds of its first byte, or of the connection opening.
Everything else (keep-alive, pipelining, concurrency limits) is uvicorn's own.

The same protocol offers each complete ``GET`` head without a body to the app's
:class:`~sleeve.edge.hit_front.HitFront` (found on the app as ``hit_front``) before it
makes an ASGI cycle for it: a remembered hit is written at once, in order (never while an
earlier request on the connection is still being answered, nor while the client is not
reading), with the forwarded headers applied as uvicorn's ``ProxyHeadersMiddleware``
would apply them.
"""

from __future__ import annotations

import asyncio
import copyreg
import json
import urllib.parse
from typing import Any, cast

import httptools
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .hit_front import HitFront

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
        # One timer at a time, armed when a head starts and not cancelled when it ends: when
        # it fires it looks at the head under way, if any (two timer operations a request
        # would cost a cached hit more than its limit bookkeeping).
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_started: float | None = None  # when the head under way began
        self._refused = False
        self._front, self._trusted = _front_of(self.app)
        self._with_body = False  # the request under way declared a body
        self._answered = False  # ... and was answered by the front
        # The keep-alive timer likewise: uvicorn cancels it on every read and arms it
        # again after every answer; here it stays armed and, when it fires, looks at how
        # long the connection has been idle (None: a request is under way).
        self._idle_since: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_begins()  # a connection that never sends a byte is a slow head too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            self._idle_since = None
            super().data_received(data)

    def _unset_keepalive_if_required(self) -> None:
        """Left armed (see ``_idle_since``); :meth:`connection_lost` cancels it."""

    def on_response_complete(self) -> None:
        """uvicorn's own, but for the keep-alive timer, which is armed only if it is not."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle_from_now()

    def timeout_keep_alive_handler(self) -> None:
        self.timeout_keep_alive_task = None
        if self._idle_since is None:
            return  # a request under way: its answer arms the timer again
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(
                left, self.timeout_keep_alive_handler
            )
        else:
            super().timeout_keep_alive_handler()

    def _idle_from_now(self) -> None:
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._with_body = False
        self._head_begins()

    def on_url(self, url: bytes) -> None:
        if self._counted(len(url)):
            self.url += url  # uvicorn's own, without a second call

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._counted(len(name) + len(value) + 4):
            return
        name = name.lower()  # from here, uvicorn's own on_header, inlined
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        elif name in _BODY_HEADERS:
            self._with_body = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._head_started = None
        if self._front is not None and self._answered_in_front(self._front):
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._answered:
            self._answered = False
        elif not self._refused:
            super().on_message_complete()

    def _answered_in_front(self, front: HitFront) -> bool:
        """Offer the request to the front; if it answered, write the answer and go on as
        uvicorn does after a response (count it, close or wait for the next request)."""
        parser = self.parser
        cycle = self.cycle
        if (
            (cycle is not None and not cycle.response_complete)
            or self.pipeline
            or self.flow.write_paused
            or self._with_body
            or self.expect_100_continue
            or parser.get_method() != b"GET"
            or parser.should_upgrade()
            or self.transport.is_closing()
        ):
            return False
        http_version = parser.get_http_version()
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        scope = self._front_scope(http_version)
        answer = front.answer(
            scope, keep_alive=keep_alive, server_headers=self.server_state.default_headers
        )
        if answer is None:
            return False
        self._answered = True
        self.transport.write(answer)
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
        else:
            self._idle_from_now()
        return True

    def _front_scope(self, http_version: str) -> dict[str, Any]:
        """The scope as far as the front needs it: what uvicorn's own
        ``on_headers_complete`` would fill in (it does so again if the front declines),
        and the forwarded client and scheme if the peer is a trusted proxy."""
        scope = cast(dict[str, Any], self.scope)
        url = httptools.parse_url(self.url)
        path = url.path.decode("ascii")
        scope["method"] = "GET"
        scope["path"] = self.root_path + (urllib.parse.unquote(path) if "%" in path else path)
        scope["query_string"] = url.query or b""
        if http_version != "1.1":
            scope["http_version"] = http_version
        if self._trusted is None:
            return scope
        return _forwarded(scope, self._trusted)

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

    def _head_begins(self) -> None:
        self._head_started = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_check)

    def _stop_head_timer(self) -> None:
        self._head_started = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_check(self) -> None:
        """The head under way (if any) has had ``head_timeout`` seconds, or is given the
        rest of them."""
        self._head_timer = None
        if self._head_started is None:
            return  # none under way: the next one arms the timer again
        left = self._head_started + self.head_timeout - self.loop.time()
        if left > 0:
            self._head_timer = self.loop.call_later(left, self._head_check)
            return
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


_BODY_HEADERS = (b"content-length", b"transfer-encoding")


def _front_of(app: Any) -> tuple[HitFront | None, Any]:
    """The app's :class:`HitFront`, looked for through the middleware uvicorn wraps it
    in, and the trusted hosts of its ``ProxyHeadersMiddleware`` if it has one."""
    trusted = None
    for _ in range(8):
        front = getattr(app, "hit_front", None)
        if isinstance(front, HitFront):
            return front, trusted
        if isinstance(app, ProxyHeadersMiddleware):
            trusted = app.trusted_hosts
        app = getattr(app, "app", None)
    return None, None


def _forwarded(scope: dict[str, Any], trusted: Any) -> dict[str, Any]:
    """``scope`` as uvicorn's ``ProxyHeadersMiddleware`` leaves it (in a copy)."""
    client = scope.get("client")
    if not client or client[0] not in trusted:
        return scope
    proto: bytes | None = None
    addresses: list[bytes] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            proto = value
        elif name == b"x-forwarded-for":
            addresses.append(value)
    forwarded = dict(scope)
    if proto is not None:
        scheme = proto.decode("latin1").strip()
        if scheme in {"http", "https", "ws", "wss"}:
            forwarded["scheme"] = scheme
    if addresses:
        host, port = trusted.get_trusted_client_address(b", ".join(addresses).decode("latin1"))
        if host:
            forwarded["client"] = (host, port)
    return forwarded
