"""ETags, conditional requests and cache headers towards clients: pure, no I/O."""

from __future__ import annotations

import pytest

from sleeve.cache.http_caching import cache_status, freshness_headers, if_none_match, strong_etag


def test_strong_etags_depend_on_every_part_and_its_boundaries() -> None:
    etag = strong_etag(b"body", b"html")
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert etag == strong_etag(b"body", b"html")
    assert etag != strong_etag(b"body", b"plaintext")
    assert strong_etag(b"ab", b"c") != strong_etag(b"a", b"bc")


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x"', False),
        ("*", True),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert if_none_match(header, '"abc"') is matches


def test_freshness_headers() -> None:
    assert freshness_headers(stored_at=100, fresh_until=400, now=150.5) == {
        "Age": "50",
        "Cache-Control": "public, max-age=249",
    }
    assert freshness_headers(stored_at=100, fresh_until=400, now=500)["Cache-Control"].endswith(
        "max-age=0"
    )


def test_cache_status_members() -> None:
    assert cache_status("hit", ttl=30.7) == "sleeve; hit; ttl=30"
    assert cache_status("miss", stored=True) == "sleeve; fwd=miss; stored"
    assert cache_status("miss", collapsed=True) == "sleeve; fwd=miss; collapsed"
    assert cache_status("stale", ttl=-5) == 'sleeve; hit; ttl=-5; detail="stale-while-revalidate"'
    assert cache_status("bypass") == "sleeve; fwd=bypass"
