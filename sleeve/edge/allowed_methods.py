"""Which methods the document declares for a path, for the ``Allow`` header of a 405.

connexion registers one route per operation, and Starlette's 405 names only the methods
of the first route whose path matched; the document knows them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAMETER = re.compile(r"\{[^}/]+\}")


class AllowedMethods:
    def __init__(self, paths: Mapping[str, Mapping[str, Any]]) -> None:
        # Literal paths before templated ones, as routing prefers them.
        ordered = sorted(paths.items(), key=lambda item: item[0].count("{"))
        self._routes = [
            (route_pattern(template), _allow(item)) for template, item in ordered if _allow(item)
        ]

    def for_path(self, path: str) -> str | None:
        """``GET, HEAD, OPTIONS``-style list for ``path``, or ``None`` if no path matches."""
        for pattern, allow in self._routes:
            if pattern.fullmatch(path):
                return allow
        return None


def route_pattern(template: str) -> re.Pattern[str]:
    """A path template (``/artists/{artist_id}``) as a regex, each parameter one segment."""
    parts = _PARAMETER.split(template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _allow(item: Mapping[str, Any]) -> str:
    methods = {method.upper() for method in _METHODS if method in item}
    if "GET" in methods:
        methods.add("HEAD")  # Starlette answers HEAD wherever there is GET
    return ", ".join(sorted(methods))
