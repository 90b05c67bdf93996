"""Pointing the image URLs in Discogs answers at sleeve's image operation.

Discogs' image URLs are signed and counted against a small daily budget; sleeve's are
``/images/{collection}/{id}/{index}`` (``?size=150`` for the small ones), answered from its own
store. Pure functions over decoded answers: which fields hold images depends on the
resource, so the path picks the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .kinds import ENTITY_PATH

__all__ = ["THUMBNAIL", "point_images_at_sleeve"]

Answer = dict[str, Any]
_LISTS = {
    re.compile(r"^/artists/\d+/releases$"): ("releases", None),
    re.compile(r"^/labels/\d+/releases$"): ("releases", "releases"),
    re.compile(r"^/masters/\d+/versions$"): ("versions", "releases"),
    re.compile(r"^/database/search$"): ("results", None),
}
THUMBNAIL = 150


def point_images_at_sleeve(document: Any, path: str, base: str) -> Any:
    """``document`` (the answer for ``path``) with its image URLs on sleeve at ``base``."""
    if not isinstance(document, dict):
        return document
    entity = ENTITY_PATH.match(path)
    if entity:
        _entity(document, entity.group(1), int(entity.group(2)), _url_maker(base))
        return document
    for pattern, (field, collection) in _LISTS.items():
        if pattern.match(path):
            for item in document.get(field) or []:
                if isinstance(item, dict):
                    _list_item(item, collection, _url_maker(base))
    return document


UrlMaker = Callable[[str, int, int, int | None], str]


def _url_maker(base: str) -> UrlMaker:
    root = base.rstrip("/")

    def url(collection: str, entity_id: int, index: int, size: int | None) -> str:
        path = f"{root}/images/{collection}/{entity_id}/{index}"
        return path + (f"?size={size}" if size else "")

    return url


def _entity(document: Answer, collection: str, entity_id: int, url: UrlMaker) -> None:
    images = document.get("images")
    if isinstance(images, list):
        for index, image in enumerate(images):
            if isinstance(image, dict) and image.get("uri"):
                image["uri"] = image["resource_url"] = url(collection, entity_id, index, None)
                if image.get("uri150"):
                    image["uri150"] = url(collection, entity_id, index, THUMBNAIL)
    if document.get("thumb") and images:
        document["thumb"] = url(collection, entity_id, 0, THUMBNAIL)


def _list_item(item: Answer, collection: str | None, url: UrlMaker) -> None:
    """An entry of a listing or a search result: its ``thumb`` and ``cover_image``."""
    item_collection = collection or _COLLECTIONS.get(str(item.get("type")))
    entity_id = item.get("id")
    if item_collection is None or not isinstance(entity_id, int):
        return
    if item.get("thumb"):
        item["thumb"] = url(item_collection, entity_id, 0, THUMBNAIL)
    if item.get("cover_image"):
        item["cover_image"] = url(item_collection, entity_id, 0, None)


# A search result's ``type`` → the collection its images are under.
_COLLECTIONS = {"release": "releases", "master": "masters", "artist": "artists", "label": "labels"}
