"""Forwarding a validated Discogs database request and shaping the answer for the client.

The path of a request through here: the client's own Discogs credentials (if it sent
any) or sleeve's, the representation it asked for, one upstream GET through the adapter,
then either the answer with its URLs pointed at sleeve, or an honest error: the
upstream's 404 as 404, a refused client credential as 401, and the upstream's own
troubles as 502 (unreachable, 5xx, garbage), 503 with ``Retry-After`` (rate limited),
or 504 (timed out). A query too long to forward is refused with 414 before it is sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from adapters.discogs import NAME, DiscogsAdapter, DiscogsCredentials, representation
from adapters.http import (
    RequestTooLong,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

from .errors import GatewayError
from .url_rewriting import UrlRewriter

logger = logging.getLogger("sleeve.discogs")

# Discogs' own names for itself; old answers say http, new ones https.
CANONICAL_BASES = ("https://api.discogs.com", "http://api.discogs.com")
DEFAULT_RETRY_AFTER = 60
_PASSED_HEADERS = ("X-Discogs-Media-Type",)


class DiscogsProxy:
    """The service behind every Discogs database handler."""

    def __init__(self, adapter: DiscogsAdapter, *, public_url: str | None = None) -> None:
        self._adapter = adapter
        self._public_url = public_url
        self._upstream_bases = (adapter.base_url, *CANONICAL_BASES)

    async def forward(self, request: Request, path: str, **query: Any) -> Response:
        """GET ``path`` upstream with the declared ``query`` values that are set."""
        client_credentials = DiscogsCredentials.from_client(
            request.headers.get("authorization"), QueryParams(request.scope["query_string"])
        )
        try:
            answer = await self._adapter.get(
                path,
                [(name, str(value)) for name, value in query.items() if value is not None],
                media_type=representation(request.headers.get("accept")),
                credentials=client_credentials,
            )
        except RequestTooLong as exc:
            raise GatewayError(414, str(exc)) from None
        except UpstreamTimeout as exc:
            raise GatewayError(504, str(exc)) from None
        except UpstreamError as exc:
            raise GatewayError(502, str(exc)) from None
        if answer.status != 200:
            raise _gateway_error(answer, client_sent_credentials=client_credentials is not None)
        return self._client_response(request, answer)

    def _client_response(self, request: Request, answer: UpstreamResponse) -> Response:
        rewriter = UrlRewriter(self._upstream_bases, self._public_url or str(request.base_url))
        body = rewriter.body(_decode(answer))
        headers = {"Vary": "Accept"}
        if "Link" in answer.headers:
            headers["Link"] = rewriter.link_header(answer.headers["Link"])
        headers.update(
            {name: answer.headers[name] for name in _PASSED_HEADERS if name in answer.headers}
        )
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(content, media_type="application/json", headers=headers)


def _decode(answer: UpstreamResponse) -> Any:
    """The JSON body of a 200; Discogs sends an empty one when it rejects the caller."""
    try:
        return json.loads(answer.body)
    except ValueError:
        raise GatewayError(502, f"{NAME} sent an answer that is not JSON.") from None


def _upstream_message(answer: UpstreamResponse) -> str | None:
    try:
        message = json.loads(answer.body).get("message")
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


def _gateway_error(answer: UpstreamResponse, *, client_sent_credentials: bool) -> GatewayError:
    """The error a client gets for a non-200 upstream answer."""
    said = _upstream_message(answer)
    status = answer.status
    if status == 404:
        return GatewayError(404, said or "The requested resource was not found.")
    if status == 401 and client_sent_credentials:
        return GatewayError(401, said or "Discogs rejected the credentials sent.")
    if status == 422:
        return GatewayError(422, said or "Discogs could not process the request.")
    if status in (429, 503):
        retry_after = _retry_after(answer)
        reason = "is rate limiting sleeve" if status == 429 else "is unavailable"
        return GatewayError(
            503,
            f"{NAME} {reason}; try again in {retry_after} s.",
            {"Retry-After": str(retry_after)},
        )
    if status == 401:
        logger.error("Discogs refused sleeve's own credentials (401); check upstreams.discogs")
        return GatewayError(502, f"{NAME} refused sleeve's credentials.")
    return GatewayError(502, f"{NAME} answered {status}" + (f": {said}" if said else "."))


def _retry_after(answer: UpstreamResponse) -> int:
    value = answer.headers.get("Retry-After", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_RETRY_AFTER
