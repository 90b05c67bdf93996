r"""Fetching image bytes from an upstream host safely: allow-listed hosts only, a size cap,
and bytes that decode as an image, so nothing else is ever kept and served forever.

A URL is judged by the parser that will fetch it (yarl, aiohttp's): two parsers reading
one URL differently (``http://127.0.0.1:18999\@localhost/``: ``urlsplit`` says
``localhost``) is how an allow-list is walked past. A URL yarl refuses is refused here.
"""

from __future__ import annotations

from collections.abc import Iterable

import yarl

from ..errors import GatewayError
from .formats import NotAnImage, sniff, thumbnail


class HostAllowList:
    """Hosts images may be fetched from: ``host``, ``host:port``, or ``.domain`` for any
    host under ``domain`` (archive.org serves from ``ia800….us.archive.org``)."""

    def __init__(self, hosts: Iterable[str]) -> None:
        entries = [host.lower() for host in hosts]
        self._exact = frozenset(entry for entry in entries if not entry.startswith("."))
        self._suffixes = tuple(entry for entry in entries if entry.startswith("."))

    def allows(self, url: str) -> bool:
        try:
            parts = yarl.URL(url)
        except (ValueError, TypeError):
            return False
        if parts.scheme not in ("http", "https") or not parts.host:
            return False
        hostname = parts.host.lower()
        port = parts.explicit_port
        netloc = f"{hostname}:{port}" if port is not None else hostname
        return (
            hostname in self._exact
            or netloc in self._exact
            or (bool(hostname) and hostname.endswith(self._suffixes))
        )

    @staticmethod
    def refusal(url: str, what: str) -> str:
        """The 502's message for ``url``, refused: it names the host and the setting, so
        an operator knows what to add (the host is the upstream's, never a secret)."""
        try:
            parts = yarl.URL(url)
            host = parts.host or "no host"
            if parts.explicit_port is not None:
                host = f"{host}:{parts.explicit_port}"
        except (ValueError, TypeError):
            host = "a URL that does not parse"
        return f"{what} is on {host[:200]}, which is not in images.allowed_hosts."


def checked_image(body: bytes, *, max_bytes: int, upstream: str) -> tuple[bytes, str]:
    """``(body, content type)`` if ``body`` is a whole image of a size sleeve keeps."""
    if len(body) > max_bytes:
        raise GatewayError(502, f"{upstream} sent an image larger than sleeve keeps.")
    content_type = sniff(body)
    if content_type is None:
        raise GatewayError(502, f"{upstream} sent something that is not an image.")
    try:  # decode it once: a truncated image is refused now, not served forever
        thumbnail(body, 150)
    except NotAnImage:
        raise GatewayError(502, f"{upstream} sent a broken image.") from None
    return body, content_type
