"""Turning parameter strings into the typed values a JSON Schema 2020-12 ``type`` names.

A query or path parameter arrives as text; its schema may name one type or several
(``type: [integer, "null"]``), or none at all when ``const``/``enum`` pin the value. The
value becomes the first named type it parses as; text that fits none stays text so the
validator can report it by name. ``null`` is spelled as an empty value or ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_TYPE_ORDER = ("null", "boolean", "integer", "number", "string", "array", "object")


def schema_types(schema: dict[str, Any]) -> list[str]:
    """The JSON types a schema admits, in the order a string is tried against them."""
    declared = schema.get("type")
    if isinstance(declared, str):
        names = {declared}
    elif isinstance(declared, list):
        names = set(declared)
    else:
        pinned = [schema["const"]] if "const" in schema else schema.get("enum", [])
        names = {_json_type(value) for value in pinned} or {"string"}
    return [name for name in _TYPE_ORDER if name in names]


def coerce_scalar(text: Any, schema: dict[str, Any]) -> Any:
    """``text`` as the first of the schema's types it parses as, else unchanged."""
    if not isinstance(text, str):
        return text
    for name in schema_types(schema):
        parse = _PARSERS.get(name)
        if parse is None:
            continue
        try:
            return parse(text)
        except ValueError:
            continue
    return text


def _parse_null(text: str) -> None:
    if text not in ("", "null"):
        raise ValueError(text)


def _parse_boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _parse_integer(text: str) -> int:
    # int() alone would also take " 5", "1_000" and 5000-digit strings.
    if len(text) > 1000 or not _INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _parse_number(text: str) -> int | float:
    if len(text) > 1000 or not _NUMBER.fullmatch(text):
        raise ValueError(text)
    if _INTEGER.fullmatch(text):
        return int(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)  # JSON has no infinities
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "null": _parse_null,
    "boolean": _parse_boolean,
    "integer": _parse_integer,
    "number": _parse_number,
    "string": str,
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"
