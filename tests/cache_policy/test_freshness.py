"""Freshness decisions (RFC 9111 freshness, RFC 5861 stale extensions): pure, no I/O."""

from __future__ import annotations

import pytest

from sleeve.cache.freshness import FreshnessPolicy, Usability
from sleeve.cache.keys import Kind

POLICY = FreshnessPolicy(
    ttls={"discogs": {"artist": 100, "search": 10}, "musicbrainz": {"search": 7}},
    default_ttl=50,
    negative_ttl=5,
    stale_while_revalidate=20,
    stale_if_error=60,
)
ARTIST = Kind("discogs", "artist")


def test_lifetimes_per_kind_with_a_default_and_short_negatives() -> None:
    assert POLICY.lifetime(ARTIST, 200) == 100
    assert POLICY.lifetime(Kind("discogs", "search"), 200) == 10
    assert POLICY.lifetime(Kind("discogs", "label"), 200) == 50
    assert POLICY.lifetime(ARTIST, 404) == 5


def test_kinds_of_two_upstreams_never_share_a_lifetime() -> None:
    assert POLICY.lifetime(Kind("musicbrainz", "search"), 200) == 7
    assert POLICY.lifetime(Kind("musicbrainz", "artist"), 200) == 50  # not Discogs' 100
    assert POLICY.lifetime(Kind("itunes", "search"), 200) == 50  # an upstream not listed


def test_entries_are_kept_for_the_longest_grace() -> None:
    assert POLICY.expiry(1000, ARTIST, 200) == (1100, 1160)


@pytest.mark.parametrize(
    ("now", "usability"),
    [
        (1000, Usability.FRESH),
        (1099.9, Usability.FRESH),
        (1100, Usability.REVALIDATE),
        (1119.9, Usability.REVALIDATE),
        (1120, Usability.IF_ERROR),
        (1159.9, Usability.IF_ERROR),
        (1160, Usability.NONE),
    ],
)
def test_usability_over_time(now: float, usability: Usability) -> None:
    assert POLICY.usability(fresh_until=1100, keep_until=1160, now=now) is usability


def test_keep_until_cuts_every_grace_short() -> None:
    assert POLICY.usability(fresh_until=1100, keep_until=1105, now=1106) is Usability.NONE
