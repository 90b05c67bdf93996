"""Render Discogs text markup for the three ``Accept`` variants.

Discogs stores free text (artist and label ``profile``, release and master ``notes``) with
its own markup: ``[a=Artist Name]``, ``[a123]``, ``[l=Label]``, ``[l123]``, ``[r123]``,
``[m123]``, ``[url=https://…]text[/url]``, ``[b]…[/b]``, ``[i]…[/i]``. The ``Accept`` header
(``application/vnd.discogs.v2.{discogs|html|plaintext}+json``) picks how it comes back, so
the same resource has three representations. A gateway that caches one answer for all three
is wrong, and our sample data uses this markup so tests can see the difference.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import quote

VARIANTS = ("discogs", "html", "plaintext")
DEFAULT_VARIANT = "discogs"

_ACCEPT_RE = re.compile(r"application/vnd\.discogs\.v2\.(discogs|html|plaintext)\+json")

# Entity kinds used in markup, with the path segment of their www page.
ENTITY_PATHS = {"a": "artist", "l": "label", "r": "release", "m": "master"}

# A resolver maps (kind letter, id) to a display name, or None when the id is unknown.
NameResolver = Callable[[str, int], str | None]

_TOKEN_RE = re.compile(
    r"\[(?P<kind>[alrm])=(?P<name>[^\]]+)\]"  # [a=Name]
    r"|\[(?P<idkind>[alrm])(?P<id>\d+)\]"  # [a123]
    r"|\[url=(?P<href>[^\]]+)\](?P<text>.*?)\[/url\]"  # [url=…]text[/url]
    r"|\[(?P<close>/?)(?P<style>[bi])\]",  # [b] [/b] [i] [/i]
    re.DOTALL,
)


def variant_from_accept(accept: str | None) -> str:
    """The markup variant an ``Accept`` header asks for; anything else means ``discogs``."""
    match = _ACCEPT_RE.search(accept or "")
    return match.group(1) if match else DEFAULT_VARIANT


def media_type_header(variant: str) -> str:
    """Value of ``X-Discogs-Media-Type`` for a variant."""
    return f"discogs.v2.{variant}+json"


def render(text: str, variant: str, resolve: NameResolver, web_root: str) -> str:
    """Render ``text`` for ``variant``; the ``discogs`` variant is the stored text itself."""
    if variant == "discogs":
        return text
    as_html = variant == "html"
    pieces: list[str] = []
    position = 0
    for match in _TOKEN_RE.finditer(text):
        plain = text[position : match.start()]
        pieces.append(html.escape(plain, quote=False) if as_html else plain)
        pieces.append(_render_token(match, as_html, resolve, web_root))
        position = match.end()
    rest = text[position:]
    pieces.append(html.escape(rest, quote=False) if as_html else rest)
    return "".join(pieces)


def _render_token(match: re.Match[str], as_html: bool, resolve: NameResolver, web_root: str) -> str:
    """One markup token as HTML or plain text."""
    if match.group("kind"):
        name = match.group("name")
        href = f"{web_root}/{ENTITY_PATHS[match.group('kind')]}/{quote(name)}"
        return _link(href, name, as_html)
    if match.group("idkind"):
        kind, entity_id = match.group("idkind"), int(match.group("id"))
        name = resolve(kind, entity_id) or f"{ENTITY_PATHS[kind].title()} {entity_id}"
        href = f"{web_root}/{ENTITY_PATHS[kind]}/{entity_id}"
        return _link(href, name, as_html)
    if match.group("href"):
        return _link(match.group("href"), match.group("text"), as_html)
    if not as_html:
        return ""
    return f"<{match.group('close')}{match.group('style')}>"


def _link(href: str, text: str, as_html: bool) -> str:
    if not as_html:
        return text
    return f'<a href="{html.escape(href)}">{html.escape(text, quote=False)}</a>'
