"""The kinds of Discogs resource: each path's kind picks its lifetime under cache.ttls.discogs."""

from __future__ import annotations

import pytest

from sleeve.cache.keys import Kind
from sleeve.discogs.kinds import DEFAULT_TTLS, kind_of


@pytest.mark.parametrize(
    ("path", "name"),
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
def test_each_path_has_its_kind(path: str, name: str) -> None:
    assert kind_of(path) == Kind("discogs", name)


def test_every_kind_a_path_can_have_has_a_default_lifetime() -> None:
    paths = ["/", "/artists/1", "/artists/1/releases", "/labels/1", "/labels/1/releases"]
    paths += ["/masters/1", "/masters/1/versions", "/releases/1", "/releases/1/rating"]
    paths += ["/releases/1/rating/u", "/releases/1/stats", "/database/search"]
    assert {kind_of(path).name for path in paths} == set(DEFAULT_TTLS)
