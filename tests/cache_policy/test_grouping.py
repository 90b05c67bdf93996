"""Grouping matches into releases: links first, then barcode and track count when only
one group fits; never two of one source together; ambiguity left to the tagger."""

from __future__ import annotations

from sleeve.lookup.grouping import group
from sleeve.lookup.matches import Match


def m(source: str, id: str, tracks: int | None = 5) -> Match:
    return Match(source, id, "Fictional Frequencies", track_count=tracks)


def keys(groups) -> list[set[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    return [{match.key for match in g.matches} for g in groups]


def test_one_release_everywhere_is_one_group() -> None:
    matches = [m("musicbrainz", "a"), m("discogs", "1"), m("itunes", "9"), m("spotify", "s")]
    (only,) = group(matches)
    assert len(only.matches) == 4 and not only.ambiguous


def test_a_deluxe_edition_under_the_same_barcode_is_a_group_of_its_own() -> None:
    matches = [m("discogs", "1"), m("itunes", "9"), m("itunes", "10", tracks=6), m("spotify", "s")]
    assert keys(group(matches)) == [
        {("discogs", "1"), ("itunes", "9"), ("spotify", "s")},
        {("itunes", "10")},
    ]


def test_two_pressings_of_one_barcode_follow_their_links_and_a_store_album_is_ambiguous() -> None:
    matches = [
        m("musicbrainz", "uk"), m("musicbrainz", "repress"),
        m("discogs", "1"), m("discogs", "2"), m("itunes", "9"),
    ]  # fmt: skip
    links = [
        (("discogs", "1"), ("musicbrainz", "uk")),
        (("discogs", "2"), ("musicbrainz", "repress")),
    ]
    groups = group(matches, links)
    assert keys(groups) == [
        {("discogs", "1"), ("musicbrainz", "uk")},
        {("discogs", "2"), ("musicbrainz", "repress")},
        {("itunes", "9")},
    ]
    assert groups[2].ambiguous  # both pressings fit: sleeve does not choose


def test_a_source_never_appears_twice_in_a_group_and_a_tie_is_not_broken() -> None:
    groups = group([m("spotify", "clean"), m("spotify", "explicit"), m("tidal", "t")])
    assert keys(groups) == [{("spotify", "clean")}, {("spotify", "explicit")}, {("tidal", "t")}]
    assert [g.ambiguous for g in groups] == [False, False, True]  # clean or explicit?


def test_an_unknown_track_count_fits_and_links_win_over_counts() -> None:
    matches = [m("musicbrainz", "a", tracks=5), m("discogs", "1", tracks=None)]
    assert keys(group(matches)) == [{("musicbrainz", "a"), ("discogs", "1")}]
    linked = [m("musicbrainz", "a", tracks=5), m("discogs", "1", tracks=6)]
    assert keys(group(linked, [(("discogs", "1"), ("musicbrainz", "a"))])) == [
        {("musicbrainz", "a"), ("discogs", "1")}
    ]
