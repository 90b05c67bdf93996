"""Pointing upstream URLs in answers at sleeve, so a client that follows links stays here.

Where clients reach sleeve is :class:`PublicBase` (the configured ``server.public_url``
behind a proxy, else each request's own base URL), asked in one place by every answer
that carries links. A URL is rewritten only when it starts with one of the upstream's
base URLs at a path boundary; path and query are kept. Other hosts (image CDNs, www
pages) are left alone: Discogs signs its image URLs, and changing one breaks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

__all__ = ["PublicBase", "UrlRewriter"]

_LINK_TARGET = re.compile(r"<([^>]*)>")


class PublicBase:
    """Where clients reach sleeve, without a final ``/``."""

    def __init__(self, configured: str | None = None) -> None:
        self._configured = configured.rstrip("/") if configured else None

    def of(self, request: Request) -> str:
        """``server.public_url`` when set, else the base URL ``request`` was sent to."""
        return self._configured or str(request.base_url).rstrip("/")


class UrlRewriter:
    """Replaces any of ``upstream_bases`` at the start of a URL with ``public_base``."""

    def __init__(self, upstream_bases: Iterable[str], public_base: str) -> None:
        self._bases = sorted({base.rstrip("/") for base in upstream_bases}, key=len, reverse=True)
        self._public = public_base.rstrip("/")

    def url(self, value: str) -> str:
        for base in self._bases:
            if value.startswith(base) and value[len(base) : len(base) + 1] in ("", "/", "?"):
                return self._public + value[len(base) :]
        return value

    def body(self, value: Any) -> Any:
        """``value`` (decoded JSON) with every string that is an upstream URL rewritten."""
        if isinstance(value, str):
            return self.url(value)
        if isinstance(value, dict):
            return {key: self.body(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.body(item) for item in value]
        return value

    def link_header(self, value: str) -> str:
        """An RFC 8288 ``Link`` header with each target URL rewritten."""
        return _LINK_TARGET.sub(lambda match: f"<{self.url(match.group(1))}>", value)
