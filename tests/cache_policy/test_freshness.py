"""Freshness decisions (RFC 9111 freshness, RFC 5861 stale extensions): pure, no I/O."""

from __future__ import annotations

import pytest

from sleeve.cache.freshness import FreshnessPolicy, Usability, resource_kind

POLICY = FreshnessPolicy(
    ttls={"artist": 100, "search": 10},
    default_ttl=50,
    negative_ttl=5,
    stale_while_revalidate=20,
    stale_if_error=60,
)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "service"),
        ("/artists/1", "artist"),
        ("/artists/1/releases", "artist_releases"),
        ("/releases/9/rating/someone", "release_user_rating"),
        ("/masters/3/versions", "master_versions"),
        ("/database/search", "search"),
        ("/somewhere/else", "other"),
    ],
)
def test_resource_kinds(path: str, kind: str) -> None:
    assert resource_kind(path) == kind


def test_lifetimes_per_kind_with_a_default_and_short_negatives() -> None:
    assert POLICY.lifetime("artist", 200) == 100
    assert POLICY.lifetime("search", 200) == 10
    assert POLICY.lifetime("label", 200) == 50
    assert POLICY.lifetime("artist", 404) == 5


def test_entries_are_kept_for_the_longest_grace() -> None:
    assert POLICY.expiry(1000, "artist", 200) == (1100, 1160)


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
