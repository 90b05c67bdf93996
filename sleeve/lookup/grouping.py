"""Which matches from different sources are the same release.

A barcode is not an identity: a label reuses one for a repress, a deluxe edition, a
remaster; a store lists the clean and the explicit version under one UPC. So grouping
goes by evidence, strongest first:

1. **Links.** MusicBrainz' url-rels say which Discogs release (and which store album) a
   MusicBrainz release is; linked matches are one release, whatever else they say.
2. **Barcode and track count.** Every match of one look-up shares the barcode; a match
   joins a group of another source's when their track counts agree (or one of them is
   unknown) — and only when exactly one group qualifies. Two groups that fit equally (two
   pressings of a barcode, each with its MusicBrainz twin) leave the match on its own,
   marked ``ambiguous``: a tagger should choose, not sleeve.
3. A group never holds two matches of one source: those are two releases by the source's
   own account.

Matches are taken in a fixed order (the sources' order, then their own), so the same
answers always group the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .matches import Match

__all__ = ["Group", "group"]


@dataclass
class Group:
    matches: list[Match] = field(default_factory=list)
    ambiguous: bool = False

    @property
    def sources(self) -> set[str]:
        return {match.source for match in self.matches}

    @property
    def track_count(self) -> int | None:
        counts = [m.track_count for m in self.matches if m.track_count is not None]
        return max(set(counts), key=counts.count) if counts else None

    def fits(self, match: Match) -> bool:
        if match.source in self.sources:
            return False
        counts = {m.track_count for m in self.matches if m.track_count is not None}
        return match.track_count is None or not counts or match.track_count in counts


def group(
    matches: Sequence[Match], links: Iterable[tuple[tuple[str, str], tuple[str, str]]] = ()
) -> list[Group]:
    """``matches`` in groups, each the same release by the evidence above."""
    by_key = {match.key: match for match in matches}
    groups: list[Group] = []
    home: dict[tuple[str, str], Group] = {}
    for one, other in links:  # 1: what links say
        if one not in by_key or other not in by_key or one[0] == other[0]:
            continue
        first, second = home.get(one), home.get(other)
        if first is None and second is None:
            joined = Group([by_key[one], by_key[other]])
            groups.append(joined)
            home[one] = home[other] = joined
        elif first is None and second is not None and one[0] not in second.sources:
            second.matches.append(by_key[one])
            home[one] = second
        elif second is None and first is not None and other[0] not in first.sources:
            first.matches.append(by_key[other])
            home[other] = first
    for match in matches:  # 2 and 3: barcode and track count, when only one group fits
        if match.key in home:
            continue
        fitting = [g for g in groups if not g.ambiguous and g.fits(match)]
        if len(fitting) == 1:
            fitting[0].matches.append(match)
            home[match.key] = fitting[0]
            continue
        alone = Group([match], ambiguous=len(fitting) > 1)
        groups.append(alone)
        home[match.key] = alone
    return groups
