"""Handlers: one method per operation in ``openapi/sleeve.yaml``.

connexion has already routed and validated the request when a handler runs; a handler
names the upstream path, hands the declared parameters to its service, and returns the
service's answer. An operation ``getArtistReleases`` is served by a method
``get_artist_releases`` of one of the handler objects given to :func:`operation_resolver`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(operation_id: str) -> str:
    """``getArtistReleases`` → ``get_artist_releases``."""
    return _WORD_START.sub("_", operation_id).lower()


def operation_resolver(*handler_objects: Any) -> Callable[[str], Callable[..., Any]]:
    """A connexion resolver finding each operation's method among ``handler_objects``."""

    def resolve(operation_id: str) -> Callable[..., Any]:
        name = handler_name(operation_id)
        found = [getattr(obj, name) for obj in handler_objects if hasattr(obj, name)]
        if len(found) != 1:
            raise LookupError(f"operation {operation_id!r} needs exactly one handler {name}()")
        return found[0]

    return resolve
