"""iTunes artwork URLs on sleeve, in any size the client asks for by the URL's size part.

Apple's artwork URLs end in a size part (``…/source/100x100bb.jpg``): a client asks for
another size by changing it (``600x600bb.jpg``), and the CDN renders it. sleeve keeps that
convention: an answer's ``artworkUrl100`` becomes ``{sleeve}/itunes/artwork/{token}/100x100bb.jpg``,
where ``token`` is the upstream URL up to the size part (base64url, no padding), and any
size part a client puts in its place is fetched from the CDN once and kept in the image
store. The token is decoded and its host checked against ``images.allowed_hosts`` on every
request: a token names a URL, and only allowed hosts are ever asked.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import NamedTuple

__all__ = [
    "ARTWORK_PREFIX",
    "MAX_SIDE",
    "SIZE_PART",
    "Artwork",
    "artwork_on_sleeve",
    "size_part",
    "upstream_artwork",
]

ARTWORK_PREFIX = "/itunes/artwork/"
#: ``100x100bb.jpg``, ``600x600bf.webp``, ``1200x1200bb-60.jpg``: width x height, a crop
#: and format code, an optional quality, an extension.
SIZE_PART = re.compile(
    r"(?P<w>[1-9][0-9]{0,3})x(?P<h>[1-9][0-9]{0,3})[a-z]{0,3}(?:-[0-9]{1,3})?\.(?:jpg|png|webp)"
)
_UPSTREAM = re.compile(r"(?P<base>https?://[^/?#]+/image/thumb/[^?#]+)/(?P<size>[^/?#]+)")
MAX_SIDE = 3000  # Apple renders up to about this; larger asks are refused, not fetched


class Artwork(NamedTuple):
    """An artwork image to fetch: the CDN's URL for the size asked."""

    url: str


def artwork_on_sleeve(url: str, public_base: str) -> str:
    """``url`` (an answer's ``artworkUrl…``) as a URL on sleeve; unchanged if it is not
    Apple's shape (sleeve then never fetches it)."""
    match = _UPSTREAM.fullmatch(url)
    if match is None or SIZE_PART.fullmatch(match["size"]) is None:
        return url
    token = base64.urlsafe_b64encode(match["base"].encode()).rstrip(b"=").decode()
    return f"{public_base}{ARTWORK_PREFIX}{token}/{match['size']}"


def size_part(size: str) -> tuple[int, int] | None:
    """``(width, height)`` of a size part, if it is one sleeve fetches."""
    match = SIZE_PART.fullmatch(size)
    if match is None:
        return None
    width, height = int(match["w"]), int(match["h"])
    return (width, height) if max(width, height) <= MAX_SIDE else None


def upstream_artwork(token: str, size: str) -> Artwork | None:
    """The CDN URL a sleeve artwork URL stands for; ``None`` if the token is not one
    sleeve made or the size part is not one it fetches."""
    if size_part(size) is None:
        return None
    try:
        base = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    url = f"{base}/{size}"
    if _UPSTREAM.fullmatch(url) is None:
        return None
    return Artwork(url)
