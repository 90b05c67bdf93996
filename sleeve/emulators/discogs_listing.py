"""Pure list helpers for the Discogs emulator: pagination arithmetic, sorting, Link headers.

Kept apart from the aiohttp handlers so the arithmetic can be read (and tested) without a
server, and so every paginated endpoint pages, sorts and links in exactly the same way.

Discogs facts mirrored here (UPSTREAMS.md, seed 001, recorded answers):
- ``page`` starts at 1; ``per_page`` is 1..100 with default 50 (larger values are clamped).
- The body carries ``pagination {page, pages, per_page, items, urls}`` where ``urls`` only
  holds the links that make sense (no ``prev``/``first`` on page 1, no ``next``/``last`` on
  the last page, ``{}`` for a single page).
- The ``Link`` header lists the same URLs: ``<url>; rel="next", <url>; rel="last"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100

# Query parameters that carry credentials are never echoed into pagination URLs: the URLs
# end up in bodies and headers that a gateway may cache or show to its own clients.
CREDENTIAL_PARAMS = frozenset({"token", "key", "secret"})

# Order of rel values in the Link header, as in a recorded answer for a middle page.
LINK_ORDER = ("next", "prev", "last", "first")


class PageOutOfRange(Exception):
    """The requested page lies past the last one; the emulator answers 404 "Page not found"."""


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for, after Discogs' lenient parsing."""

    page: int
    per_page: int


@dataclass(frozen=True)
class PageWindow:
    """One page of a list: where it starts and ends, and how many pages there are."""

    page: int
    per_page: int
    items: int
    pages: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def end(self) -> int:
        return min(self.start + self.per_page, self.items)


def _int_or(value: str | None, default: int) -> int:
    """Discogs ignores junk numbers rather than failing; so do we."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def parse_page_request(query: Mapping[str, str]) -> PageRequest:
    """Read ``page``/``per_page``, clamping them into the ranges Discogs accepts."""
    page = max(1, _int_or(query.get("page"), 1))
    per_page = _int_or(query.get("per_page"), DEFAULT_PER_PAGE)
    return PageRequest(page=page, per_page=min(MAX_PER_PAGE, max(1, per_page)))


def page_window(items: int, request: PageRequest) -> PageWindow:
    """Place ``request`` on a list of ``items`` entries.

    An empty list still has one (empty) page, like Discogs' empty search answers.
    """
    pages = max(1, math.ceil(items / request.per_page))
    if request.page > pages:
        raise PageOutOfRange(request.page)
    return PageWindow(page=request.page, per_page=request.per_page, items=items, pages=pages)


def page_url(base_path_url: str, query: Sequence[tuple[str, str]], page: int, per_page: int) -> str:
    """URL of one page, keeping the caller's other query parameters in their order."""
    kept = [
        (k, v) for k, v in query if k not in CREDENTIAL_PARAMS and k not in ("page", "per_page")
    ]
    kept += [("per_page", str(per_page)), ("page", str(page))]
    return f"{base_path_url}?{urlencode(kept)}"


def page_urls(
    base_path_url: str, query: Sequence[tuple[str, str]], window: PageWindow
) -> dict[str, str]:
    """The applicable ``first``/``prev``/``next``/``last`` URLs for ``window``."""
    targets: dict[str, int] = {}
    if window.page > 1:
        targets["first"] = 1
        targets["prev"] = window.page - 1
    if window.page < window.pages:
        targets["next"] = window.page + 1
        targets["last"] = window.pages
    return {
        rel: page_url(base_path_url, query, target, window.per_page)
        for rel, target in targets.items()
    }


def pagination_block(window: PageWindow, urls: dict[str, str]) -> dict[str, Any]:
    """The body's ``pagination`` object."""
    return {
        "page": window.page,
        "pages": window.pages,
        "per_page": window.per_page,
        "items": window.items,
        "urls": urls,
    }


def link_header(urls: Mapping[str, str]) -> str | None:
    """Discogs' ``Link`` header value, or None when there is nothing to link to."""
    parts = [f'<{urls[rel]}>; rel="{rel}"' for rel in LINK_ORDER if rel in urls]
    return ", ".join(parts) or None


def sort_entries(
    entries: Sequence[dict[str, Any]],
    key: str | None,
    order: str | None,
    keys: Mapping[str, Callable[[dict[str, Any]], Any]],
) -> list[dict[str, Any]]:
    """Sort list entries by one of the endpoint's documented ``sort`` keys.

    Unknown keys keep the default order (Discogs ignores them); entries missing the field
    sort after the others so that gaps in the data don't break the ordering.
    """
    if key is None or key not in keys:
        return list(entries)
    get = keys[key]
    present = [e for e in entries if get(e) not in (None, "")]
    missing = [e for e in entries if get(e) in (None, "")]
    descending = (order or "asc").lower() == "desc"
    return sorted(present, key=get, reverse=descending) + missing
