"""The shape of an error body, in the words of the upstream whose path was asked for.

Clients of each upstream already parse that upstream's errors, so sleeve answers in
kind: Discogs and AcousticBrainz clients get ``{"message": …}``; MusicBrainz clients get
``{"error": …, "help": …}`` or its XML form (whichever representation they asked for);
Cover Art Archive clients get a line of plain text, as the archive sends.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

MUSICBRAINZ_HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
MUSICBRAINZ_PREFIX = "/ws/2/"
COVER_ART_PREFIXES = ("/release/", "/release-group/")


def render_error(
    path: str, query_string: str, accept: str | None, message: str
) -> tuple[bytes, str]:
    """``(body, content type)`` of an error about ``path``."""
    if path.startswith(MUSICBRAINZ_PREFIX) or path == MUSICBRAINZ_PREFIX.rstrip("/"):
        if wants_musicbrainz_json(query_string, accept):
            body = {"error": message, "help": MUSICBRAINZ_HELP}
            return json.dumps(body).encode(), "application/json; charset=utf-8"
        return musicbrainz_xml_error(message), "application/xml; charset=utf-8"
    if path.startswith(COVER_ART_PREFIXES) or path in ("/release", "/release-group"):
        return message.encode(), "text/plain; charset=utf-8"
    return json.dumps({"message": message}).encode(), "application/json"


def wants_musicbrainz_json(query_string: str, accept: str | None) -> bool:
    """MusicBrainz answers XML unless ``fmt=json`` or ``Accept: application/json`` says
    otherwise (``fmt`` wins over ``Accept``)."""
    fmt = dict(parse_qsl(query_string)).get("fmt")
    if fmt in ("json", "xml"):
        return fmt == "json"
    return "application/json" in (accept or "").lower()


def musicbrainz_xml_error(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<error><text>{escape(message)}</text><text>{escape(MUSICBRAINZ_HELP)}</text></error>"
    ).encode()
