"""The shape of an error body, in the words of the upstream whose path was asked for.

Clients of each upstream already parse that upstream's errors, so sleeve answers in
kind: Discogs and AcousticBrainz clients get ``{"message": …}``; MusicBrainz clients get
``{"error": …, "help": …}`` or its XML form (whichever representation they asked for);
Cover Art Archive clients get a line of plain text, as the archive sends; iTunes clients
get Apple's ``{"errorMessage": …}``, Spotify clients Spotify's
``{"error": {"status": …, "message": …}}``, TIDAL clients a JSON:API error document,
``{"errors": [{"status": "400", "detail": …}]}``. Whose path it
is comes from :mod:`sleeve.url_space`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.types import Scope, Send

from ..musicbrainz.rules import representation
from ..url_space import upstream_of

__all__ = ["MUSICBRAINZ_HELP", "musicbrainz_xml_error", "render_error", "send_error"]

MUSICBRAINZ_HELP = "For usage, please see: https://musicbrainz.org/development/mmd"


def render_error(
    path: str, query_string: str, accept: str | None, message: str, *, status: int
) -> tuple[bytes, str]:
    """``(body, content type)`` of an error about ``path`` (answered with ``status``)."""
    upstream = upstream_of(path)
    if upstream == "musicbrainz":
        fmt = dict(parse_qsl(query_string)).get("fmt")
        if representation(fmt, accept) == "json":
            body = {"error": message, "help": MUSICBRAINZ_HELP}
            return json.dumps(body).encode(), "application/json; charset=utf-8"
        return musicbrainz_xml_error(message), "application/xml; charset=utf-8"
    if upstream == "coverartarchive":
        return message.encode(), "text/plain; charset=utf-8"
    if upstream == "itunes":
        return json.dumps({"errorMessage": message}).encode(), "application/json"
    if upstream == "spotify":
        spotify = {"error": {"status": status, "message": message}}
        return json.dumps(spotify).encode(), "application/json; charset=utf-8"
    if upstream == "tidal":  # JSON:API's media type takes no charset
        tidal = {"errors": [{"status": str(status), "detail": message}]}
        return json.dumps(tidal).encode(), "application/vnd.api+json"
    return json.dumps({"message": message}).encode(), "application/json"


def musicbrainz_xml_error(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<error><text>{escape(message)}</text><text>{escape(MUSICBRAINZ_HELP)}</text></error>"
    ).encode()


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer an error from plain ASGI middleware, before connexion: in the dialect of the
    path's upstream, like every other error."""
    accept = next(
        (value.decode("latin-1") for name, value in scope["headers"] if name == b"accept"), None
    )
    body, content_type = render_error(
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        accept,
        message,
        status=status,
    )
    start = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})
