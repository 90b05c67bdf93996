"""Answers with validators: what every upstream's answer gets on its way to the client.

A cached answer's rendered bytes get a strong ``ETag``, the ``Age``/``Cache-Control``/
``Cache-Status`` that say how old the stored answer is and where it came from, a 304 when
the client already holds those bytes (RFC 9110 §13.1.2), and — for answers the cache had
or just stored — a place in the process' memory of rendered answers
(:mod:`sleeve.cache.rendered`), under the fast key the edge left in the request's scope.
Answers that are not cached answers (images, the AcousticBrainz archive) get the same
validators through :func:`validated_response` and :func:`not_modified`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from .answer_cache import Served
from .http_caching import cache_status, freshness_headers, if_none_match, strong_etag
from .rendered import FAST_KEY, RenderedAnswer, RenderedAnswers

__all__ = ["cached_response", "not_modified", "validated_response"]

_TIMED_HEADERS = frozenset({"Age", "Cache-Control", "Cache-Status"})


def cached_response(
    request: Request,
    served: Served,
    body: bytes,
    headers: Mapping[str, str],
    *,
    media_type: str,
    rendered: RenderedAnswers | None,
) -> Response:
    """``body`` (rendered from ``served``) with its validators and caching headers."""
    stored = served.answer
    now = time.time()
    headers = dict(headers)
    headers["ETag"] = strong_etag(body)
    headers.update(freshness_headers(stored.stored_at, stored.fresh_until, now))
    headers["Cache-Status"] = cache_status(
        "miss" if served.outcome == "uncached" else served.outcome,
        ttl=stored.fresh_until - now,
        stored=served.outcome == "miss" and not served.collapsed,
        collapsed=served.collapsed,
    )
    if rendered is not None and served.outcome in ("hit", "miss") and now < stored.fresh_until:
        _remember(rendered, request, body, headers, media_type, served, now)
    return validated_response(request, body, media_type=media_type, headers=headers)


def validated_response(
    request: Request, body: bytes, *, media_type: str, headers: Mapping[str, str]
) -> Response:
    """``body`` with a strong ``ETag`` (unless ``headers`` has one); a 304 when the
    client's ``If-None-Match`` names it."""
    headers = dict(headers)
    headers.setdefault("ETag", strong_etag(body))
    return not_modified(request, headers) or Response(body, media_type=media_type, headers=headers)


def not_modified(request: Request, headers: Mapping[str, str]) -> Response | None:
    """A 304 with ``headers`` if the client already holds ``headers["ETag"]``, else None."""
    if if_none_match(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=dict(headers))
    return None


def _remember(
    rendered: RenderedAnswers,
    request: Request,
    body: bytes,
    headers: Mapping[str, str],
    media_type: str,
    served: Served,
    now: float,
) -> None:
    """Let the fast path answer the next identical request (see :mod:`.rendered`)."""
    key = request.scope.get("state", {}).get(FAST_KEY)
    if key is None:
        return
    stored = served.answer
    static = [("content-type", media_type)] + [
        (name.lower(), value) for name, value in headers.items() if name not in _TIMED_HEADERS
    ]
    rendered.remember(
        key,
        RenderedAnswer(
            body=body,
            headers=tuple((name.encode(), value.encode("latin-1")) for name, value in static),
            etag=headers["ETag"],
            stored_at=stored.stored_at,
            fresh_until=stored.fresh_until,
            serve_until=min(stored.fresh_until, now + rendered.max_age),
            kind=served.kind,
            operation=_operation(request),
        ),
        now,
    )


def _operation(request: Request) -> str:
    """The operationId connexion routed ``request`` to (it notes it in the scope)."""
    routing = request.scope.get("extensions", {}).get("connexion_routing", {})
    return str(routing.get("operation_id") or "")
