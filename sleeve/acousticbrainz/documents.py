"""What counts as an AcousticBrainz document: checked in full before anything is stored.

A low-level document (Essentia's extractor output) has ``lowlevel``, ``rhythm`` and
``tonal`` objects; a high-level one (the classifiers' output) has a ``highlevel`` object.
Both carry ``metadata``. A file is accepted only if it parses completely as a JSON object
with the keys of its level, so a truncated or garbled file is refused whole, never
half-stored. ``NaN``/``Infinity`` are refused too: they are not JSON, and AcousticBrainz
(PostgreSQL ``jsonb``) never served them.
"""

from __future__ import annotations

import json
from typing import Any

from .dump import Level

__all__ = ["LEVEL_KEYS", "BadDocument", "checked_document"]

#: The top-level keys that make a document one of its level.
LEVEL_KEYS: dict[Level, tuple[str, ...]] = {
    "lowlevel": ("lowlevel", "rhythm", "tonal"),
    "highlevel": ("highlevel",),
}
_BOM = b"\xef\xbb\xbf"


class BadDocument(ValueError):
    """The bytes are not a document of the expected level; the message says why."""


def checked_document(data: bytes, level: Level | None) -> tuple[Level, bytes]:
    """``(level, json_bytes)`` of a valid document, else :class:`BadDocument`.

    ``level`` is what the dump's names say (None when they say nothing); the document's
    own keys then decide. The bytes returned are the input without a BOM or surrounding
    whitespace, so they can be embedded as they are in a larger JSON answer.
    """
    data = data.removeprefix(_BOM).strip()
    document = _parsed(data)
    found = _level_of(document)
    if level is None:
        if found is None:
            raise BadDocument("neither a low-level nor a high-level document")
        return found, data
    missing = [key for key in LEVEL_KEYS[level] if not isinstance(document.get(key), dict)]
    if missing:
        raise BadDocument(f"not a {level} document: no {', '.join(missing)} object")
    return level, data


def _parsed(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadDocument(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadDocument(f"a JSON {type(document).__name__}, not an object")
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _level_of(document: dict[str, Any]) -> Level | None:
    """The one level whose keys the document has, or None (none of them, or both)."""
    levels = [
        level
        for level, keys in LEVEL_KEYS.items()
        if all(isinstance(document.get(key), dict) for key in keys)
    ]
    return levels[0] if len(levels) == 1 else None
