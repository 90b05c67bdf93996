"""Errors as clients see them: a status and a body in the upstream's own dialect
(:mod:`sleeve.error_dialects`; Discogs' ``{"message": …}`` unless the path is another's).

Every failure, whatever raised it (connexion's validation, routing, an upstream, a bug),
leaves sleeve through :func:`error_response`, so clients meet one shape and no stack trace
or secret ever reaches them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from adapters.http import RequestTooLong, UpstreamError, UpstreamTimeout

from .allowed_methods import AllowedMethods
from .error_dialects import render_error
from .governance.gate import UpstreamBusy

logger = logging.getLogger("sleeve.errors")

ErrorHandler = Callable[[ConnexionRequest, Exception], Awaitable[ConnexionResponse]]
RETRY_UNREACHABLE_AFTER = 60
_STOCK_MESSAGES = {
    404: "The requested resource was not found.",
    405: "The method is not allowed for the requested URL.",
}


class GatewayError(Exception):
    """A failure sleeve reports to its client as ``status`` with ``message``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    request: ConnexionRequest, status: int, message: str, headers: Mapping[str, str] | None = None
) -> ConnexionResponse:
    """The error in the dialect of the upstream whose path was asked for."""
    body, content_type = render_error(
        request.url.path, request.url.query, request.headers.get("accept"), message
    )
    return ConnexionResponse(
        status_code=status,
        mimetype=content_type.split(";", 1)[0],
        content_type=content_type,
        body=body,
        headers=dict(headers or {}),
    )


async def on_gateway_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, GatewayError)
    return error_response(request, exc.status, exc.message, exc.headers)


async def on_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """connexion's validation problems (400, 415, …), reworded into Discogs' shape."""
    assert isinstance(exc, ProblemException)
    message = exc.detail or exc.title or "Bad request"
    if exc.status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, message)
    return error_response(request, exc.status, message, exc.headers)


def on_http_exception(allowed: AllowedMethods) -> ErrorHandler:
    """Routing failures: no such path (404) or no such method on it (405, with an ``Allow``
    naming every method the document declares for the path)."""

    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HTTPException)
        message = _STOCK_MESSAGES.get(exc.status_code) or exc.detail
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed.for_path(request.url.path) or headers.get("Allow", "")
        return error_response(request, exc.status_code, message, headers)

    return handle


async def on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug: logged with its traceback here, a plain 500 for the client."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "Internal error: sleeve failed to answer this request.")


@contextlib.contextmanager
def upstream_errors(*, unreachable_status: int = 502, timeout_status: int = 504) -> Iterator[None]:
    """Failures on the way to an upstream, as the errors clients get.

    A query too long to forward is 414; an upstream too busy for sleeve to call now is
    503 with ``Retry-After``; a timeout is 504 and anything else unusable 502, unless the
    caller's upstream contract says otherwise (the Cover Art Archive answers 503 for both).
    """
    try:
        yield
    except RequestTooLong as exc:
        raise GatewayError(414, str(exc)) from None
    except UpstreamBusy as exc:
        raise GatewayError(503, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    except UpstreamTimeout as exc:
        raise GatewayError(timeout_status, str(exc), _retry_soon(timeout_status)) from None
    except UpstreamError as exc:
        raise GatewayError(unreachable_status, str(exc), _retry_soon(unreachable_status)) from None


def _retry_soon(status: int) -> dict[str, str]:
    return {"Retry-After": str(RETRY_UNREACHABLE_AFTER)} if status == 503 else {}
