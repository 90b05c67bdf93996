"""One look-up across every source: ask them all at once, each within its own limit,
and answer with what each said and how their matches group.

Every configured source is asked concurrently; each waits at most ``patience`` seconds
for a slot of its upstream (a look-up must not hang on one busy source) and
``source_timeout`` in all. A source that fails never fails the answer: its status says
why (``rate limited`` with the seconds to wait, or ``failed`` with the reason), and since
every source's answers are cached by its own service, a repeat costs no upstream call for
the sources that answered while the failed one is asked again.

MusicBrainz' url-rels link a Discogs release to its MusicBrainz twin
(:class:`~sleeve.musicbrainz.links.MusicBrainzLinks`, the same cached reverse look-up
``/releases/{id}/musicbrainz`` uses): those links are the first evidence grouping uses
(:mod:`.grouping`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..adapters.http import UpstreamError
from ..errors import GatewayError
from ..governance.priority import patience as waiting_at_most
from ..musicbrainz.links import MusicBrainzLinks
from .codes import Gtin
from .grouping import Group, group
from .matches import Match
from .sources import NotSupported, Source

__all__ = ["COVER_ORDER", "CrossLookup"]

logger = logging.getLogger("sleeve.lookup")

#: Whose front cover stands for a group, best first: the archive's (chosen by editors),
#: Discogs' primary image, Apple's artwork.
COVER_ORDER = ("musicbrainz", "discogs", "itunes")
_TITLE_ORDER = ("musicbrainz", "discogs", "itunes", "spotify", "tidal")


class CrossLookup:
    def __init__(
        self,
        sources: Sequence[Source],
        links: MusicBrainzLinks,
        *,
        patience: float = 5.0,
        source_timeout: float = 30.0,
    ) -> None:
        self.sources = list(sources)
        self._links = links
        self._patience = patience
        self._timeout = source_timeout

    async def barcode(self, code: Gtin, base: str) -> dict[str, Any]:
        answers = await self._ask_all(lambda source: source.releases(code, base))
        matches = [m for found in answers.values() if isinstance(found, list) for m in found]
        links = await self._discogs_links(matches)
        return {
            "barcode": code.canonical,
            "spellings": list(code.spellings),
            "releases": [_release(g) for g in group(_ordered(matches), links)],
            "sources": {name: _status(found) for name, found in answers.items()},
        }

    async def isrc(self, isrc: str, base: str) -> dict[str, Any]:
        answers = await self._ask_all(lambda source: source.recordings(isrc, base))
        matches = [m for found in answers.values() if isinstance(found, list) for m in found]
        return {
            "isrc": isrc,
            # An ISRC names one recording: every match is it (on whatever release).
            "recording": _recording(_ordered(matches)) if matches else None,
            "sources": {name: _status(found) for name, found in answers.items()},
        }

    async def _ask_all(
        self, ask: Callable[[Source], Awaitable[list[Match]]]
    ) -> dict[str, list[Match] | BaseException | str]:
        async def one(source: Source) -> list[Match] | BaseException | str:
            if not source.configured:
                return "not configured"
            try:
                with waiting_at_most(self._patience):
                    async with asyncio.timeout(self._timeout):
                        return list(await ask(source))
            except NotSupported as exc:
                return exc
            except (GatewayError, UpstreamError, TimeoutError) as exc:
                return exc
            except Exception as exc:
                logger.exception("the %s source failed unexpectedly", source.name)
                return exc

        found = await asyncio.gather(*(one(source) for source in self.sources))
        return {source.name: answer for source, answer in zip(self.sources, found, strict=True)}

    async def _discogs_links(
        self, matches: list[Match]
    ) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """Discogs releases' MusicBrainz twins, as MusicBrainz links them (none if it
        cannot be asked now: grouping then goes by barcode and track count)."""
        releases = [m for m in matches if m.source == "discogs"]

        async def twins(match: Match) -> list[tuple[tuple[str, str], tuple[str, str]]]:
            try:
                with waiting_at_most(self._patience):
                    found = await self._links.of_discogs("releases", int(match.id))
            except (GatewayError, UpstreamError):
                return []
            return [(match.key, ("musicbrainz", link.mbid)) for link in found]

        pairs = await asyncio.gather(*(twins(m) for m in releases))
        return [pair for found in pairs for pair in found]


def _ordered(matches: list[Match]) -> list[Match]:
    rank = {name: n for n, name in enumerate(_TITLE_ORDER)}
    return sorted(matches, key=lambda m: rank.get(m.source, len(rank)))


def _status(found: list[Match] | BaseException | str) -> dict[str, Any]:
    if isinstance(found, str):
        return {"status": found, "matches": []}
    if isinstance(found, list):
        return {"status": "ok" if found else "none", "matches": [m.as_json() for m in found]}
    if isinstance(found, NotSupported):
        return {"status": "not supported", "matches": [], "reason": str(found)}
    if isinstance(found, GatewayError) and found.status == 503 and "Retry-After" in found.headers:
        limited = "rate limit" in found.message or "asked sleeve to wait" in found.message
        status = "rate limited" if limited else "failed"
        retry = int(found.headers["Retry-After"])
        return {"status": status, "matches": [], "retry_after": retry, "reason": found.message}
    if isinstance(found, GatewayError | UpstreamError):
        return {"status": "failed", "matches": [], "reason": str(found)}
    if isinstance(found, TimeoutError):
        return {"status": "failed", "matches": [], "reason": "The source did not answer in time."}
    return {"status": "failed", "matches": [], "reason": "sleeve failed asking this source."}


def _release(found: Group) -> dict[str, Any]:
    first = found.matches[0]
    years = [m.year for m in found.matches if m.year is not None]
    cover = next(
        (
            {"url": m.cover, "source": m.source}
            for name in COVER_ORDER
            for m in found.matches
            if m.source == name and m.cover
        ),
        None,
    )
    return {
        "title": first.title,
        "artists": list(next((m.artists for m in found.matches if m.artists), ())),
        "year": min(years) if years else None,
        "track_count": found.track_count,
        "cover": cover,
        "ambiguous": found.ambiguous,
        "matches": [{"source": m.source, "id": m.id, "url": m.url} for m in found.matches],
    }


def _recording(matches: list[Match]) -> dict[str, Any]:
    first = matches[0]
    lengths = [m.length_ms for m in matches if m.length_ms is not None]
    return {
        "title": first.title,
        "artists": list(next((m.artists for m in matches if m.artists), ())),
        "length_ms": sorted(lengths)[len(lengths) // 2] if lengths else None,
        "matches": [
            {"source": m.source, "id": m.id, "url": m.url, "release_title": m.release_title}
            for m in matches
        ],
    }
