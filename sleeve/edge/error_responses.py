"""Errors leave sleeve here: connexion's error handlers, whatever raised the error.

Every failure — connexion's validation and routing, an upstream, a bug — becomes one
answer in the dialect of the path's upstream (:mod:`.error_dialects`), so clients meet
one shape and no stack trace or secret ever reaches them. :func:`add_error_handlers`
installs them on the app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from ..errors import GatewayError
from .allowed_methods import AllowedMethods
from .error_dialects import render_error

__all__ = ["add_error_handlers", "error_response"]

logger = logging.getLogger("sleeve.errors")

ErrorHandler = Callable[[ConnexionRequest, Exception], Awaitable[ConnexionResponse]]
_STOCK_MESSAGES = {
    404: "The requested resource was not found.",
    405: "The method is not allowed for the requested URL.",
}


def add_error_handlers(app: AsyncApp, allowed: AllowedMethods) -> None:
    app.add_error_handler(GatewayError, _on_gateway_error)
    app.add_error_handler(ProblemException, _on_problem)
    app.add_error_handler(HTTPException, _on_http_exception(allowed))
    app.add_error_handler(Exception, _on_unexpected)


def error_response(
    request: ConnexionRequest, status: int, message: str, headers: Mapping[str, str] | None = None
) -> ConnexionResponse:
    """The error in the dialect of the upstream whose path was asked for."""
    body, content_type = render_error(
        request.url.path, request.url.query, request.headers.get("accept"), message, status=status
    )
    return ConnexionResponse(
        status_code=status,
        mimetype=content_type.split(";", 1)[0],
        content_type=content_type,
        body=body,
        headers=dict(headers or {}),
    )


async def _on_gateway_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, GatewayError)
    return error_response(request, exc.status, exc.message, exc.headers)


async def _on_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """connexion's validation problems (400, 415, …), reworded into the upstream's shape."""
    assert isinstance(exc, ProblemException)
    message = exc.detail or exc.title or "Bad request"
    if exc.status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, message)
    return error_response(request, exc.status, message, exc.headers)


def _on_http_exception(allowed: AllowedMethods) -> ErrorHandler:
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


async def _on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug: logged with its traceback here, a plain 500 for the client."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "Internal error: sleeve failed to answer this request.")
