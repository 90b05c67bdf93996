"""Requests checked before connexion: paths with control characters, and requests that
carry a body, authorised first, then read within a bound.

A control character in a path (``%0A``) is refused here with a 400 naming the path
parameter it is in: connexion's router cannot even match such a path (it would answer an
undocumented 404), let alone validate it.

connexion parses and validates a request body before any handler runs, so an
unauthenticated 200 MB ``POST /_sleeve/cache/purge`` cost gigabytes of memory and seconds of
a stalled event loop before the token was even looked at. Here, for every request that is
not a ``GET``/``HEAD``/``OPTIONS``:

1. an operation the contract guards with the ``AdminToken`` scheme needs the admin token
   (401 without a bearer token, RFC 9110 §15.5.2; 403 when it cannot be accepted) — before
   a byte of the body is read;
2. a body of an operation that takes one must say it is one of the media types the
   contract names (415; connexion itself lets a body without ``Content-Type`` through
   unvalidated);
3. the body is read to at most the operation's bound (its requestBody's ``x-max-bytes``,
   else ``server.max_body_bytes``): a ``Content-Length`` over it, or a stream that runs
   past it, is 413 naming the bound; what was read is handed on unchanged.

Reads cost nothing here: they pass straight through.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .allowed_methods import route_pattern
from .error_dialects import send_error

__all__ = ["ADMIN_SCHEME", "RequestGuardMiddleware"]

ADMIN_SCHEME = "AdminToken"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    method: str
    admin: bool
    max_bytes: int | None
    media_types: frozenset[str]


# A refusal sent before the body was read closes the connection (RFC 9112 §9.6): what is
# left of the body would otherwise be read as the next request, or waited for.
_CLOSE = (b"connection", b"close")


class RequestGuardMiddleware:
    """``paths``: the contract's paths; ``admin_token`` None means admin operations are
    disabled (403)."""

    def __init__(
        self,
        app: ASGIApp,
        paths: Mapping[str, Mapping[str, Any]],
        *,
        admin_token: str | None,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self._rules = _rules(paths)
        self._templates = [
            (route_pattern(template), template)
            for template in sorted(paths, key=lambda template: template.count("{"))
        ]
        self._admin_token = admin_token.encode() if admin_token else None
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _CONTROL.search(scope["path"]):
            where = self._parameter_at(scope["path"])
            said = f"Path parameter '{where}'" if where else "The path"
            await send_error(scope, send, 400, f"{said} must not contain control characters")
            return
        if scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        rule = self._rule(scope["method"], scope["path"])
        if rule is not None and rule.admin:
            refusal = self._refusal(scope)
            if refusal is not None:
                status, message, headers = refusal
                await send_error(scope, send, status, message, [*headers, _CLOSE])
                return
        if rule is not None and rule.media_types:
            sent = _content_type(scope)
            if sent not in rule.media_types:
                wanted = " or ".join(sorted(rule.media_types))
                said = f"Content-Type {sent}" if sent else "no Content-Type"
                message = f"The body must be {wanted}; {said} was sent."
                await send_error(scope, send, 415, message, [_CLOSE])
                return
        bound = rule.max_bytes if rule is not None and rule.max_bytes else self._max_body_bytes
        read, body = await _read_within(scope, receive, bound)
        if read == "too large":
            message = f"The request body is over {bound} bytes."
            await send_error(scope, send, 413, message, [_CLOSE])
        elif read == "whole":
            await self.app(scope, _replaying(body, receive), send)
        # else the client went away mid-body: nobody to answer

    def _parameter_at(self, path: str) -> str | None:
        """The name of the path parameter holding the control character, if a path of the
        contract matches (segment by segment)."""
        for pattern, template in self._templates:
            if pattern.fullmatch(path):
                for segment, part in zip(path.split("/"), template.split("/"), strict=True):
                    if _CONTROL.search(segment) and part.startswith("{"):
                        return part.strip("{}")
        return None

    def _rule(self, method: str, path: str) -> _Rule | None:
        for rule in self._rules:
            if rule.method == method and rule.pattern.fullmatch(path):
                return rule
        return None

    def _refusal(self, scope: Scope) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        authorization = next(
            (value for name, value in scope["headers"] if name == b"authorization"), b""
        )
        scheme, _, token = authorization.partition(b" ")
        token = token.strip()
        if scheme.lower() != b"bearer" or not token:
            message = "An admin token is required (Authorization: Bearer …)."
            return 401, message, [(b"www-authenticate", b"Bearer")]
        if self._admin_token is None:
            return 403, "Admin operations are disabled: no server.admin_token is set.", []
        if not hmac.compare_digest(token, self._admin_token):
            return 403, "A valid admin token is required.", []
        return None


def _rules(paths: Mapping[str, Mapping[str, Any]]) -> list[_Rule]:
    """One rule per operation that is not a read, literal paths before templated ones."""
    rules = []
    for template, item in sorted(paths.items(), key=lambda entry: entry[0].count("{")):
        for method, operation in item.items():
            if method.upper() in _READS or not isinstance(operation, dict):
                continue
            schemes = {name for need in operation.get("security") or [] for name in need}
            body = operation.get("requestBody") or {}
            rules.append(
                _Rule(route_pattern(template), method.upper(), ADMIN_SCHEME in schemes,
                      body.get("x-max-bytes"), frozenset(body.get("content") or ()))
            )  # fmt: skip
    return rules


def _content_type(scope: Scope) -> str:
    """The request's media type, without parameters (``; charset=utf-8``), lower-case."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


async def _read_within(
    scope: Scope, receive: Receive, bound: int
) -> tuple[Literal["whole", "too large", "gone"], bytes]:
    """The whole body; or "too large" as soon as it is known to be over ``bound`` bytes
    (a ``Content-Length`` says so before any is read); or "gone": the client went away."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > bound:
            return "too large", b""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return "gone", b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > bound:
            return "too large", b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            return "whole", b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` once, then waits for the client as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
