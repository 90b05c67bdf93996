"""MusicBrainz JSON-shaped documents rendered as the web service's XML (mmd-2.0).

The emulator builds every answer as JSON first (``musicbrainz_docs``) and renders XML from
it, so the two representations cannot drift apart. The XML follows the real service:
``<metadata xmlns="http://musicbrainz.org/ns/mmd-2.0#" xmlns:ns2="http://musicbrainz.org/
ns/ext#-2.0">``; ``id``/``type``/``type-id`` as attributes; ``…-id`` keys as the ``id``
attribute of their element (``<status id="…">Official</status>``); lists as ``<x-list
count="…">`` (with ``offset`` for paged lists); search scores as ``ns2:score``; relations
grouped per target type into ``<relation-list target-type="url">``; artist credits as
``<artist-credit><name-credit joinphrase="…">``; media as ``<medium-list>`` with
``<track-list count offset>``; booleans as ``true``/``false``; nulls and empty strings
left out. Anything here must parse with musicbrainzngs' ``mbxml`` (the tests check it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from .metabrainz_data import Doc

MMD_NS = "http://musicbrainz.org/ns/mmd-2.0#"
EXT_NS = "http://musicbrainz.org/ns/ext#-2.0"
HEADER = b'<?xml version="1.0" encoding="UTF-8"?>'
HELP = "For usage, please see: https://musicbrainz.org/development/mmd"

# Kinds whose ``type`` is an XML attribute (release-group gets a legacy ``type`` too).
TYPED = {"area", "artist", "event", "instrument", "label", "place", "series", "work"}
# Plain lists: JSON key → (list element, item element, item kind for entity items).
ENTITY_LISTS = {
    "releases": "release",
    "recordings": "recording",
    "release-groups": "release-group",
    "works": "work",
    "artists": "artist",
    "labels": "label",
}
TEXT_LISTS = {
    "ipis": ("ipi-list", "ipi"),
    "isnis": ("isni-list", "isni"),
    "iswcs": ("iswc-list", "iswc"),
    "iso-3166-1-codes": ("iso-3166-1-code-list", "iso-3166-1-code"),
    "iso-3166-2-codes": ("iso-3166-2-code-list", "iso-3166-2-code"),
    "languages": ("language-list", "language"),
}
# JSON keys that never become elements of their own.
SKIPPED = {"begin_area", "end_area", "count", "track-offset", "track-count", "score"}
RELATION_TEXT = ("ordering-key", "begin", "end", "ended", "source-credit", "target-credit")


def _text(value: Any) -> str | None:
    """XML text of a scalar; None (left out) for nulls and empty strings."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sub(parent: ET.Element, tag: str, text_value: Any, **attrs: str) -> ET.Element | None:
    text = _text(text_value)
    if text is None:
        return None
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v})
    element.text = text
    return element


def _list(parent: ET.Element, tag: str, count: int, offset: int | None = None) -> ET.Element:
    attrs = {"count": str(count)}
    if offset is not None:
        attrs["offset"] = str(offset)
    return ET.SubElement(parent, tag, attrs)


def entity(parent: ET.Element | None, kind: str, doc: Doc) -> ET.Element:
    """``<{kind} id=… [type=…]>`` with the document's fields as children."""
    attrs: dict[str, str] = {}
    if doc.get("id"):
        attrs["id"] = doc["id"]
    if kind in TYPED and doc.get("type"):
        attrs["type"] = doc["type"]
        if doc.get("type-id"):
            attrs["type-id"] = doc["type-id"]
    if kind == "release-group":
        legacy = (doc.get("secondary-types") or [None])[0] or doc.get("primary-type")
        if legacy:
            attrs["type"] = legacy
        if doc.get("primary-type-id"):
            attrs["type-id"] = doc["primary-type-id"]
    if "score" in doc:
        attrs["ns2:score"] = str(doc["score"])
    element = ET.Element(kind, attrs) if parent is None else ET.SubElement(parent, kind, attrs)
    for key, value in doc.items():
        _child(element, kind, key, value, doc)
    return element


def _child(element: ET.Element, kind: str, key: str, value: Any, doc: Doc) -> None:
    if key in ("id", "type", "type-id") and (kind in TYPED or key == "id"):
        return
    if key in SKIPPED or key.endswith("-ids") or (key.endswith("-id") and key != "type-id"):
        return
    handler = _HANDLERS.get(key)
    if handler is not None:
        handler(element, kind, key, value, doc)
    elif key in ENTITY_LISTS and isinstance(value, list):
        container = _list(element, f"{ENTITY_LISTS[key]}-list", len(value))
        for item in value:
            entity(container, ENTITY_LISTS[key], item)
    elif key in TEXT_LISTS and isinstance(value, list):
        list_tag, item_tag = TEXT_LISTS[key]
        container = _list(element, list_tag, len(value))
        for item in value:
            _sub(container, item_tag, item)
    elif key in ("area", "begin-area", "end-area") and isinstance(value, dict):
        entity(element, key, value)
    elif not isinstance(value, dict | list):
        _sub(element, key, value, id=doc.get(f"{key}-id") or "")


def _life_span(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    span = ET.SubElement(element, key)
    for part in ("begin", "end"):
        _sub(span, part, value.get(part))
    if value.get("ended"):
        _sub(span, "ended", True)


def _artist_credit(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    credit = ET.SubElement(element, "artist-credit")
    for name_credit in value:
        joinphrase = name_credit.get("joinphrase") or ""
        attrs = {"joinphrase": joinphrase} if joinphrase else {}
        nc = ET.SubElement(credit, "name-credit", attrs)
        if name_credit.get("name") != name_credit["artist"].get("name"):
            _sub(nc, "name", name_credit.get("name"))
        entity(nc, "artist", name_credit["artist"])


def _aliases(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    container = _list(element, "alias-list", len(value))
    for alias in value:
        attrs = {"sort-name": alias.get("sort-name") or ""}
        for name in ("type", "type-id", "locale"):
            attrs[name] = alias.get(name) or ""
        if alias.get("primary"):
            attrs["primary"] = "primary"
        attrs["begin-date"] = alias.get("begin") or ""
        attrs["end-date"] = alias.get("end") or ""
        _sub(container, "alias", alias["name"], **attrs)


def _tags(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    singular = key.removesuffix("s")  # tags → tag, user-genres → user-genre
    container = _list(element, f"{singular}-list", len(value))
    for tag in value:
        attrs = {"count": str(tag["count"])} if "count" in tag else {}
        if tag.get("id"):
            attrs["id"] = tag["id"]
        item = ET.SubElement(container, singular.removeprefix("user-"), attrs)
        _sub(item, "name", tag["name"])


def _rating(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    rating = ET.SubElement(element, "rating", {"votes-count": str(value.get("votes-count", 0))})
    rating.text = _text(value.get("value"))


def _annotation(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    if value:
        annotation = ET.SubElement(element, "annotation")
        _sub(annotation, "text", value)


def _relations(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    by_type: dict[str, list[Doc]] = {}
    for relation in value:
        by_type.setdefault(relation["target-type"], []).append(relation)
    for target_type, relations in by_type.items():
        container = ET.SubElement(element, "relation-list", {"target-type": target_type})
        for relation in relations:
            _relation(container, target_type, relation)


def _relation(container: ET.Element, target_type: str, relation: Doc) -> None:
    item = ET.SubElement(
        container, "relation", {"type": relation["type"], "type-id": relation["type-id"]}
    )
    target = relation[target_type]
    if target_type == "url":
        _sub(item, "target", target["resource"], id=target["id"])
    else:
        _sub(item, "target", target["id"])
    for name in RELATION_TEXT:
        if name != "ended" or relation.get("ended"):
            _sub(item, name, relation.get(name))
    if relation.get("direction") == "backward":
        _sub(item, "direction", "backward")
    if relation.get("attributes"):
        attributes = ET.SubElement(item, "attribute-list")
        for name in relation["attributes"]:
            value = relation.get("attribute-values", {}).get(name) or ""
            _sub(attributes, "attribute", name, value=value)
    if target_type != "url":
        entity(item, target_type.replace("_", "-"), target)


def _media(element: ET.Element, _kind: str, key: str, value: Any, doc: Doc) -> None:
    container = _list(element, "medium-list", len(value))
    if "track-count" in doc and doc.get("score") is not None:
        _sub(container, "track-count", doc["track-count"])
    for medium in value:
        item = ET.SubElement(container, "medium")
        _sub(item, "title", medium.get("title"))
        _sub(item, "position", medium.get("position"))
        _sub(item, "format", medium.get("format"), id=medium.get("format-id") or "")
        if "discs" in medium or "disc-count" in medium:
            discs = medium.get("discs", [])
            disc_list = _list(item, "disc-list", len(discs) or medium.get("disc-count", 0))
            for disc in discs:
                _disc(disc_list, disc)
        tracks = medium.get("tracks")
        count = medium.get("track-count", len(tracks or []))
        offset = medium.get("track-offset") if tracks is not None else None
        track_list = _list(item, "track-list", count, offset)
        for track in tracks or []:
            _track(track_list, track)


def _disc(parent: ET.Element, disc: Doc) -> ET.Element:
    """``<disc id><sectors/><offset-list count><offset position>…``."""
    element = ET.SubElement(parent, "disc", {"id": disc["id"]})
    _sub(element, "sectors", disc["sectors"])
    offsets = _list(element, "offset-list", len(disc["offsets"]))
    for position, offset in enumerate(disc["offsets"], start=1):
        _sub(offsets, "offset", offset, position=str(position))
    return element


def _track(container: ET.Element, track: Doc) -> None:
    item = ET.SubElement(container, "track", {"id": track["id"]})
    _sub(item, "position", track.get("position"))
    _sub(item, "number", track.get("number"))
    recording = track.get("recording") or {}
    if track.get("title") != recording.get("title"):
        _sub(item, "title", track.get("title"))
    _sub(item, "length", track.get("length"))
    if "artist-credit" in track:
        _artist_credit(item, "track", "artist-credit", track["artist-credit"], track)
    if recording:
        entity(item, "recording", recording)


def _label_info(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    container = _list(element, "label-info-list", len(value))
    for info in value:
        item = ET.SubElement(container, "label-info")
        _sub(item, "catalog-number", info.get("catalog-number"))
        if info.get("label"):
            entity(item, "label", info["label"])


def _release_events(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    container = _list(element, "release-event-list", len(value))
    for event in value:
        item = ET.SubElement(container, "release-event")
        _sub(item, "date", event.get("date"))
        if event.get("area"):
            entity(item, "area", event["area"])


def _flat(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    """A nested object of scalars: text-representation, cover-art-archive, coordinates."""
    item = ET.SubElement(element, key)
    for name, inner in value.items():
        _sub(item, name, inner)


def _secondary_types(element: ET.Element, _kind: str, key: str, value: Any, doc: Doc) -> None:
    if value:
        container = ET.SubElement(element, "secondary-type-list")
        for name, type_id in zip(value, doc.get("secondary-type-ids") or [], strict=False):
            _sub(container, "secondary-type", name, id=type_id or "")


def _isrcs(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    container = _list(element, "isrc-list", len(value))
    for isrc in value:
        ET.SubElement(container, "isrc", {"id": isrc})


def _nested_entity(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    if isinstance(value, dict):
        entity(element, key, value)


def _video(element: ET.Element, _kind: str, key: str, value: Any, _doc: Doc) -> None:
    if value:  # the real service writes <video> only for videos
        _sub(element, "video", True)


Handler = Callable[[ET.Element, str, str, Any, Doc], None]
_HANDLERS: dict[str, Handler] = {
    "life-span": _life_span,
    "artist-credit": _artist_credit,
    "aliases": _aliases,
    "tags": _tags,
    "user-tags": _tags,
    "genres": _tags,
    "user-genres": _tags,
    "rating": _rating,
    "annotation": _annotation,
    "relations": _relations,
    "media": _media,
    "label-info": _label_info,
    "release-events": _release_events,
    "text-representation": _flat,
    "cover-art-archive": _flat,
    "coordinates": _flat,
    "secondary-types": _secondary_types,
    "isrcs": _isrcs,
    "release-group": _nested_entity,
    "video": _video,
    "attributes": lambda *_: None,  # work attributes: none in the sample catalogue
}


def _document(*children: ET.Element, created: str | None = None) -> bytes:
    attrs = {"xmlns": MMD_NS, "xmlns:ns2": EXT_NS}
    if created:
        attrs["created"] = created
    root = ET.Element("metadata", attrs)
    root.extend(children)
    return HEADER + ET.tostring(root, encoding="unicode").encode()


def render_entity(kind: str, doc: Doc) -> bytes:
    """A lookup answer."""
    return _document(entity(None, kind, doc))


def render_list(
    kind: str, docs: list[Doc], count: int, offset: int, *, created: str | None = None
) -> bytes:
    """A browse or search answer: ``<{kind}-list count offset>`` (search: with ``created``)."""
    container = ET.Element(f"{kind}-list", {"count": str(count), "offset": str(offset)})
    for doc in docs:
        entity(container, kind, doc)
    return _document(container, created=created)


def render_isrc(isrc: str, recordings: list[Doc]) -> bytes:
    """``/ws/2/isrc/{isrc}``: ``<isrc id><recording-list>``."""
    element = ET.Element("isrc", {"id": isrc})
    container = _list(element, "recording-list", len(recordings))
    for doc in recordings:
        entity(container, "recording", doc)
    return _document(element)


def render_disc(doc: Doc) -> bytes:
    """``/ws/2/discid/{discid}`` for a known disc: ``<disc>`` with its ``<release-list>``."""
    element = _disc(ET.Element("root"), doc)
    releases = _list(element, "release-list", len(doc["releases"]))
    for release in doc["releases"]:
        entity(releases, "release", release)
    return _document(element)


def render_cdstub(doc: Doc) -> bytes:
    """``/ws/2/discid/{discid}`` for a CD stub: ``<cdstub id><title><artist>…<track-list>``."""
    element = ET.Element("cdstub", {"id": doc["id"]})
    for name in ("title", "artist", "barcode", "disambiguation"):
        _sub(element, name, doc.get(name))
    tracks = _list(element, "track-list", len(doc["tracks"]))
    for track in doc["tracks"]:
        item = ET.SubElement(tracks, "track")
        for name in ("title", "artist", "length"):
            _sub(item, name, track.get(name))
    return _document(element)


def render_error(message: str) -> bytes:
    """``<error><text>message</text><text>help</text></error>`` (no namespace, like MB)."""
    root = ET.Element("error")
    for text in (message, HELP):
        _sub(root, "text", text)
    return HEADER + ET.tostring(root, encoding="unicode").encode()
