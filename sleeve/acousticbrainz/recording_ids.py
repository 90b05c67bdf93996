"""The ``recording_ids`` parameter of the bulk operations, read as AcousticBrainz read it.

``mbid[:n];mbid[:n];…``: an offset that is missing, not an integer or negative means 0;
an item that is not an MBID, or has more than one ``:``, refuses the whole request and
the message names the item. Repeated ``(mbid, n)`` pairs count once; more than
:data:`MAX_ITEMS` distinct pairs are refused. MBIDs are compared and answered in lower
case; the case a client sent is kept in :attr:`RecordingRef.requested` so the answer can
map it (``mbid_mapping``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_ITEMS", "BadRecordingIds", "RecordingRef", "parse_recording_ids"]

#: AcousticBrainz's ``MAX_ITEMS_PER_BULK_REQUEST``.
MAX_ITEMS = 25

_MBID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_OFFSET = re.compile(r"\s*[-+]?\d+\s*")


class BadRecordingIds(ValueError):
    """The parameter cannot be served; the message is for the client."""


@dataclass(frozen=True)
class RecordingRef:
    """One item: the MBID as sent, and the offset asked for (0 when none)."""

    requested: str
    n: int = 0

    @property
    def mbid(self) -> str:
        return self.requested.lower()


def parse_recording_ids(text: str) -> list[RecordingRef]:
    """The distinct items of ``text``, in their order; :class:`BadRecordingIds` else."""
    if not text:
        raise BadRecordingIds("Missing `recording_ids` parameter")
    refs: list[RecordingRef] = []
    seen: set[tuple[str, int]] = set()
    for item in text.split(";"):
        ref = _parsed_item(item)
        if (ref.mbid, ref.n) not in seen:
            seen.add((ref.mbid, ref.n))
            refs.append(ref)
    if len(refs) > MAX_ITEMS:
        raise BadRecordingIds(f"More than {MAX_ITEMS} recordings not allowed per request")
    return refs


def _parsed_item(item: str) -> RecordingRef:
    mbid, *offsets = item.split(":")
    if not _MBID.fullmatch(mbid):
        raise BadRecordingIds(f"'{mbid}' is not a valid UUID")
    if len(offsets) > 1:
        raise BadRecordingIds(f"More than 1 : in '{item}'")
    if offsets and _OFFSET.fullmatch(offsets[0]):
        return RecordingRef(mbid, max(int(offsets[0]), 0))
    return RecordingRef(mbid)
