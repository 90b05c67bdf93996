"""A shared (cacheable) answer as the client gets it, whichever upstream it came from.

Every proxied upstream ends the same way: the rendered bytes get a strong ``ETag``, the
``Age``/``Cache-Control``/``Cache-Status`` that say how old the stored answer is and where
it came from, a 304 when the client already holds those bytes, and — for answers the
cache had or just stored — a place in the fast path's memory (:mod:`sleeve.hot_path`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from .cache.answer_cache import Served
from .cache.http_caching import cache_status, freshness_headers, if_none_match, strong_etag
from .hot_path import RenderedAnswer, RenderedAnswers, fast_key

_TIMED_HEADERS = frozenset({"Age", "Cache-Control", "Cache-Status"})


def cached_response(
    request: Request,
    served: Served,
    body: bytes,
    headers: Mapping[str, str],
    *,
    media_type: str,
    kind: str,
    rendered: RenderedAnswers | None,
) -> Response:
    """``body`` (rendered from ``served``) with its validators and caching headers."""
    stored = served.answer
    now = time.time()
    headers = dict(headers)
    etag = strong_etag(body)
    headers["ETag"] = etag
    headers.update(freshness_headers(stored.stored_at, stored.fresh_until, now))
    headers["Cache-Status"] = cache_status(
        "miss" if served.outcome == "uncached" else served.outcome,
        ttl=stored.fresh_until - now,
        stored=served.outcome == "miss" and not served.collapsed,
        collapsed=served.collapsed,
    )
    if rendered is not None and served.outcome in ("hit", "miss") and now < stored.fresh_until:
        _remember(rendered, request, body, headers, media_type, served, kind, now)
    if if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _remember(
    rendered: RenderedAnswers,
    request: Request,
    body: bytes,
    headers: Mapping[str, str],
    media_type: str,
    served: Served,
    kind: str,
    now: float,
) -> None:
    """Let the fast path answer the next identical request (see :mod:`sleeve.hot_path`)."""
    key = fast_key(request.scope)
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
            kind=kind,
        ),
    )
