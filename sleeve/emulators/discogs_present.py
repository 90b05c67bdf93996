"""Turn a stored catalogue document into the answer one particular request gets.

Four request-dependent changes, each a pure function over JSON-like values:

- ``rebase``: API URLs (``resource_url``, ``releases_url``, ``master_url``, …) point at the
  emulator that answered, the way real answers point at ``api.discogs.com``, so a gateway
  that follows them stays on the emulator.
- ``without_images``: anonymous callers get no image URLs (``images`` left out; ``thumb``,
  ``cover_image`` and ``thumbnail_url`` empty), as UPSTREAMS.md describes the real API.
- ``with_image_urls``: with the emulator serving images itself, image URLs re-signed and
  pointing at the emulator that answered (see ``discogs_images``).
- ``with_rendered_markup``: ``profile`` and ``notes`` in the ``Accept`` variant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .discogs_markup import NameResolver, render

IMAGE_KEYS_BLANKED = frozenset({"thumb", "cover_image", "thumbnail_url"})
IMAGE_KEYS_DROPPED = frozenset({"images"})
MARKUP_KEYS = frozenset({"profile", "notes"})


def rebase(value: Any, old_root: str, new_root: str) -> Any:
    """Copy ``value`` with every string starting with ``old_root`` moved to ``new_root``."""
    if isinstance(value, dict):
        return {k: rebase(v, old_root, new_root) for k, v in value.items()}
    if isinstance(value, list):
        return [rebase(v, old_root, new_root) for v in value]
    if isinstance(value, str) and value.startswith(old_root):
        return new_root + value[len(old_root) :]
    return value


def with_image_urls(value: Any, image_root: str, relocate: Callable[[str], str]) -> Any:
    """Copy ``value`` with every string under ``image_root/`` replaced by ``relocate(url)``."""
    if isinstance(value, dict):
        return {k: with_image_urls(v, image_root, relocate) for k, v in value.items()}
    if isinstance(value, list):
        return [with_image_urls(v, image_root, relocate) for v in value]
    if isinstance(value, str) and value.startswith(image_root + "/"):
        return relocate(value)
    return value


def without_images(value: Any) -> Any:
    """Copy ``value`` without image URLs, at any depth."""
    if isinstance(value, dict):
        return {
            k: ("" if k in IMAGE_KEYS_BLANKED else without_images(v))
            for k, v in value.items()
            if k not in IMAGE_KEYS_DROPPED
        }
    if isinstance(value, list):
        return [without_images(v) for v in value]
    return value


def with_rendered_markup(value: Any, variant: str, resolve: NameResolver, web_root: str) -> Any:
    """Copy ``value`` with its markup fields rendered for ``variant``."""
    if isinstance(value, dict):
        return {
            k: (
                render(v, variant, resolve, web_root)
                if k in MARKUP_KEYS and isinstance(v, str)
                else with_rendered_markup(v, variant, resolve, web_root)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [with_rendered_markup(v, variant, resolve, web_root) for v in value]
    return value
