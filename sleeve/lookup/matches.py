"""What each source's answer says about a release or a recording, in one shape.

Every source names things its own way (Discogs' ``"Artist - Title"`` search titles and
positions, MusicBrainz' artist credits, Apple's ``collectionName``, Spotify's and TIDAL's
objects); a :class:`Match` is the little that a tagger compares across them. Parsers take
the decoded answer and trust nothing in it: a field of the wrong type is left out, an id
that is not the source's kind of id drops the match (it would go into a URL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Match", "count", "text", "year_of"]

_YEAR = re.compile(r"(?:19|20)[0-9]{2}")


@dataclass(frozen=True)
class Match:
    """One source's release (or recording), as the look-up answers it."""

    source: str
    id: str
    title: str
    artists: tuple[str, ...] = ()
    year: int | None = None
    track_count: int | None = None
    barcode: str | None = None  # as the source has it
    url: str = ""  # on sleeve
    cover: str | None = None  # a front cover on sleeve, if this source has one
    isrc: str | None = None  # recordings
    length_ms: int | None = None  # recordings
    release_title: str | None = None  # recordings: the album it is on
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"source": self.source, "id": self.id, "title": self.title}
        shown["artists"] = list(self.artists)
        for name in ("year", "track_count", "barcode", "isrc", "length_ms", "release_title"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value
        shown["url"] = self.url
        return shown


def year_of(value: object) -> int | None:
    """The year in a date (``1998-03-12``, ``1998``, ``"1998"``), if it has one."""
    if isinstance(value, int) and 1900 <= value <= 2100:
        return value
    if isinstance(value, str):
        match = _YEAR.match(value.strip())
        return int(match.group()) if match else None
    return None


def text(value: object, limit: int = 500) -> str | None:
    """A string field, bounded; ``None`` for anything else."""
    return value[:limit] if isinstance(value, str) and value else None


def count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
