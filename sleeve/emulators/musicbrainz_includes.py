"""Which ``inc=`` values MusicBrainz accepts per resource, and how it reads them.

The lists follow the MusicBrainz API documentation as reflected in musicbrainzngs 0.7
(``VALID_INCLUDES`` / ``VALID_BROWSE_INCLUDES``) plus what the live service has added
since: ``genres``/``user-genres`` everywhere tags are allowed, ``genre-rels``, and
``release-group-level-rels`` on releases. beets 2.x asks a release for ``RELEASE_INCLUDES``
(artists, media, recordings, release-groups, labels, artist-credits, aliases,
recording-level-rels, work-rels, work-level-rels, artist-rels, isrcs, url-rels,
release-rels, genres, tags); all of them must pass here, or beets breaks against us.

An unknown value is a 400 worded like the real one ("foobar is not a valid inc parameter
for the artist resource."). ``user-*`` includes need a logged-in user: the emulator has no
accounts, so they are valid but answered with 401.
"""

from __future__ import annotations

RELATABLE = (
    "area",
    "artist",
    "event",
    "genre",
    "instrument",
    "label",
    "place",
    "recording",
    "release",
    "release-group",
    "series",
    "url",
    "work",
)
RELATION_INCLUDES = tuple(f"{kind}-rels" for kind in RELATABLE)
TAGS = ("tags", "user-tags", "genres", "user-genres")
RATINGS = ("ratings", "user-ratings")
MISC = ("aliases", "annotation")
USER_INCLUDES = frozenset({"user-tags", "user-genres", "user-ratings"})

VALID_INCLUDES: dict[str, frozenset[str]] = {
    "area": frozenset((*MISC, *TAGS, *RELATION_INCLUDES)),
    "artist": frozenset(
        (
            *("recordings", "releases", "release-groups", "works"),
            *("various-artists", "discids", "media", "isrcs"),
            *MISC,
            *TAGS,
            *RATINGS,
            *RELATION_INCLUDES,
        )
    ),
    "event": frozenset((*MISC, *TAGS, *RATINGS, *RELATION_INCLUDES)),
    "instrument": frozenset((*MISC, *TAGS, *RELATION_INCLUDES)),
    "label": frozenset(
        ("releases", "discids", "media", *MISC, *TAGS, *RATINGS, *RELATION_INCLUDES)
    ),
    "place": frozenset((*MISC, *TAGS, *RELATION_INCLUDES)),
    "recording": frozenset(
        (
            *("artists", "releases", "discids", "media", "artist-credits", "isrcs"),
            "work-level-rels",
            *MISC,
            *TAGS,
            *RATINGS,
            *RELATION_INCLUDES,
        )
    ),
    "release": frozenset(
        (
            *("artists", "labels", "recordings", "release-groups", "media"),
            *("artist-credits", "discids", "isrcs"),
            *("recording-level-rels", "work-level-rels", "release-group-level-rels"),
            *MISC,
            *TAGS,
            *RELATION_INCLUDES,
        )
    ),
    "release-group": frozenset(
        (
            *("artists", "releases", "discids", "media", "artist-credits"),
            *MISC,
            *TAGS,
            *RATINGS,
            *RELATION_INCLUDES,
        )
    ),
    "series": frozenset((*MISC, *TAGS, *RELATION_INCLUDES)),
    "work": frozenset((*MISC, *TAGS, *RATINGS, *RELATION_INCLUDES)),
    "url": frozenset(RELATION_INCLUDES),
    # Look-ups by a code, as MusicBrainz' controllers list them (without the retired
    # ``puids``); ``discids``/``media`` by ISRC are meant with ``releases``, and taken
    # without it as they are by artist.
    "isrc": frozenset(
        (
            *("artists", "releases", "isrcs", "artist-credits", "aliases"),
            *("discids", "media", "tags", "user-tags"),
            *RATINGS,
            *RELATION_INCLUDES,
        )
    ),
    "iswc": frozenset(
        ("artists", "aliases", "artist-credits", "tags", "user-tags", *RATINGS, *RELATION_INCLUDES)
    ),
    "discid": frozenset(
        (
            *("artists", "labels", "recordings", "release-groups", "artist-credits"),
            *("aliases", "isrcs", "cdstubs"),
            *TAGS,
            *RELATION_INCLUDES,
        )
    ),
}

BROWSE_TAGS = ("tags", "user-tags", "genres", "user-genres")
VALID_BROWSE_INCLUDES: dict[str, frozenset[str]] = {
    "area": frozenset(("aliases", *BROWSE_TAGS, *RELATION_INCLUDES)),
    "artist": frozenset(("aliases", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)),
    "event": frozenset(("aliases", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)),
    "instrument": frozenset(("aliases", *BROWSE_TAGS, *RELATION_INCLUDES)),
    "label": frozenset(("aliases", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)),
    "place": frozenset(("aliases", *BROWSE_TAGS, *RELATION_INCLUDES)),
    "recording": frozenset(("artist-credits", "isrcs", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)),
    "release": frozenset(
        (
            *("artist-credits", "labels", "recordings", "isrcs", "release-groups"),
            *("media", "discids", "aliases", "annotation"),
            *BROWSE_TAGS,
            *RELATION_INCLUDES,
        )
    ),
    "release-group": frozenset(
        ("artist-credits", "aliases", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)
    ),
    "series": frozenset(("aliases", *BROWSE_TAGS, *RELATION_INCLUDES)),
    "url": frozenset(RELATION_INCLUDES),
    "work": frozenset(("aliases", "annotation", *BROWSE_TAGS, *RATINGS, *RELATION_INCLUDES)),
}


class IncludeError(ValueError):
    """An ``inc`` value the resource does not accept; the message is MusicBrainz' own."""


def split_includes(raw: str | None) -> list[str]:
    """``inc`` is separated by ``+`` (a space once URL-decoded) or a literal ``+``
    (clients that percent-encode it, like beets through requests)."""
    if not raw:
        return []
    return [part for part in raw.replace("+", " ").split(" ") if part]


def parse_includes(kind: str, raw: str | None, *, browse: bool = False) -> frozenset[str]:
    """The includes asked for, checked against what ``kind`` accepts (lookup or browse)."""
    valid = (VALID_BROWSE_INCLUDES if browse else VALID_INCLUDES).get(kind, frozenset())
    includes = split_includes(raw)
    for include in includes:
        if include not in valid:
            raise IncludeError(f"{include} is not a valid inc parameter for the {kind} resource.")
    return frozenset(includes)


def relation_kinds(includes: frozenset[str]) -> frozenset[str]:
    """The target kinds whose relationships were asked for (``url-rels`` → ``url``)."""
    return frozenset(inc.removesuffix("-rels") for inc in includes if inc in RELATION_INCLUDES)
