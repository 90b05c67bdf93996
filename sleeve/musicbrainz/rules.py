"""What MusicBrainz accepts: MBIDs and the codes it looks things up by (ISRCs, ISWCs, disc
IDs and TOCs), ``inc`` values per entity, browse links per entity, and which
representation a request asks for.

Checked here, before anything is sent, so that a mistake costs the client a clear 400 in
MusicBrainz' own words and costs nobody one of the one-per-second upstream calls. The
lists follow the web service documentation (https://musicbrainz.org/doc/MusicBrainz_API);
the contract's ``MbInc*`` patterns say the same, and a test ties the two.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

from ..adapters.musicbrainz import Representation
from ..errors import GatewayError

MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# As MusicBrainz checks them (``MusicBrainz::Server::Validation``): an ISRC in capitals, an
# ISWC with or without its punctuation, a disc ID of 27 characters and a ``-``.
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
ISWC = re.compile(r"^T-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}[-.]?[0-9]$")
DISCID = re.compile(r"^[A-Za-z0-9._-]{27}-$")
#: The disc ID of a look-up by TOC alone (``/ws/2/discid/-?toc=…``).
NO_DISCID = "-"
#: A disc ID look-up pages through at most this many releases at a time.
DISCID_PAGE = 25
_TOC = re.compile(r"^[0-9]+(?: [0-9]+){2,}$")

RELATABLE = (
    "area", "artist", "event", "genre", "instrument", "label", "place", "recording",
    "release", "release-group", "series", "url", "work",
)  # fmt: skip
RELATIONS = tuple(f"{entity}-rels" for entity in RELATABLE)
# The public ones only: ``user-tags`` and the like need a MusicBrainz login, and sleeve
# has none to give (it would forward MusicBrainz' 401 for every such request).
TAGS = ("tags", "genres")
RATINGS = ("ratings",)
_MISC = ("aliases", "annotation")

LOOKUP_INCLUDES: Mapping[str, frozenset[str]] = {
    entity: frozenset(includes)
    for entity, includes in {
        "area": (*_MISC, *TAGS, *RELATIONS),
        "artist": (
            "recordings", "releases", "release-groups", "works", "various-artists",
            "discids", "media", "isrcs", *_MISC, *TAGS, *RATINGS, *RELATIONS,
        ),
        "event": (*_MISC, *TAGS, *RATINGS, *RELATIONS),
        "instrument": (*_MISC, *TAGS, *RELATIONS),
        "label": ("releases", "discids", "media", *_MISC, *TAGS, *RATINGS, *RELATIONS),
        "place": (*_MISC, *TAGS, *RELATIONS),
        "recording": (
            "artists", "releases", "discids", "media", "artist-credits", "isrcs",
            "work-level-rels", *_MISC, *TAGS, *RATINGS, *RELATIONS,
        ),
        "release": (
            "artists", "labels", "recordings", "release-groups", "media",
            "artist-credits", "discids", "isrcs", "recording-level-rels", "work-level-rels",
            "release-group-level-rels", *_MISC, *TAGS, *RELATIONS,
        ),
        "release-group": (
            "artists", "releases", "discids", "media", "artist-credits",
            *_MISC, *TAGS, *RATINGS, *RELATIONS,
        ),
        "series": (*_MISC, *TAGS, *RELATIONS),
        "work": (*_MISC, *TAGS, *RATINGS, *RELATIONS),
        "url": RELATIONS,
        # MusicBrainz' genre lookup takes no ``inc`` (yet); ``/genre/all`` none at all.
        "genre": (),
        # The recordings with an ISRC, the works with an ISWC, the releases with a disc ID
        # (media and their disc IDs always included), each as MusicBrainz' own list says.
        "isrc": (
            "artists", "releases", "isrcs", "artist-credits", "discids", "media", "aliases",
            "tags", *RATINGS, *RELATIONS,
        ),
        "iswc": ("artists", "artist-credits", "aliases", "tags", *RATINGS, *RELATIONS),
        "discid": (
            "artists", "labels", "recordings", "release-groups", "artist-credits", "isrcs",
            "aliases", *TAGS, *RELATIONS,
        ),
    }.items()
}  # fmt: skip

# Which linked entity each entity can be browsed by (``/ws/2/release?artist=<mbid>``).
BROWSE_LINKS: Mapping[str, frozenset[str]] = {
    entity: frozenset(links.split())
    for entity, links in {
        "area": "collection",
        "artist": "area collection recording release release-group work",
        "event": "area artist collection place",
        "instrument": "collection",
        "label": "area collection release",
        "place": "area collection",
        "recording": "artist collection release work",
        "release": "area artist collection label track track_artist recording release-group",
        "release-group": "artist collection release",
        "series": "collection",
        "work": "artist collection",
    }.items()
}
BROWSE_FILTERS: Mapping[str, frozenset[str]] = {
    "release": frozenset({"type", "status"}),
    "release-group": frozenset({"type"}),
}
# Every name that browses some entity: one of these given to an entity that is not browsed
# by it is a mistake to point out, not a parameter to drop quietly.
ALL_BROWSE_LINKS = frozenset(link for links in BROWSE_LINKS.values() for link in links)
_SEPARATORS = re.compile(r"[ +]+")


def invalid_request(message: str) -> GatewayError:
    """MusicBrainz' answer to a request it cannot take: a 400 saying why."""
    return GatewayError(400, message)


def representation(fmt: str | None, accept: str | None) -> Representation:
    """JSON or XML: MusicBrainz answers XML unless ``fmt=json`` or ``Accept:
    application/json`` says otherwise (``fmt`` wins over ``Accept``)."""
    if fmt in ("json", "xml"):
        return "json" if fmt == "json" else "xml"
    return "json" if "application/json" in (accept or "").lower() else "xml"


def checked_mbid(mbid: str) -> str:
    """The MBID, lower-cased, or MusicBrainz' 400."""
    if not MBID.match(mbid):
        raise invalid_request("Invalid mbid.")
    return mbid.lower()


def checked_code(kind: str, code: str) -> str:
    """An ISRC or ISWC as MusicBrainz takes it, or its 400 (``Invalid isrc.``)."""
    if not {"isrc": ISRC, "iswc": ISWC}[kind].match(code):
        raise invalid_request(f"Invalid {kind}.")
    return code


def checked_discid(discid: str, toc: str | None) -> str:
    """The disc ID to ask for: itself, or ``-`` when it is none (with a TOC, MusicBrainz
    then looks the TOC up and nothing else, whatever the ID said); without a TOC, a
    disc ID that is none is MusicBrainz' 400."""
    if DISCID.match(discid):
        return discid
    if toc is None:
        raise invalid_request("Invalid discid.")
    return NO_DISCID


def checked_toc(toc: str, *, parsed: bool) -> str:
    """A TOC (``first last lead-out offset…``, in sectors) written as MusicBrainz reads it:
    one space between numbers (``+`` is one too).

    ``parsed``: MusicBrainz will read this TOC (a look-up by TOC alone), so what it would
    refuse is its 400 here: the first track 1, the last at most 99, one offset per
    track, offsets rising and the lead-out after the last. (With a disc ID, MusicBrainz
    reads the TOC only when it does not know the ID, and says so then.)
    """
    written = toc.replace("+", " ").strip()
    if not _TOC.match(written):
        raise invalid_request("Invalid TOC")
    if parsed:
        first, last, lead_out, *offsets = (int(number) for number in written.split(" "))
        rising = all(a < b for a, b in itertools.pairwise(offsets))
        if not (
            first == 1 and 1 <= last <= 99 and len(offsets) == last and rising
            and lead_out > offsets[-1]
        ):  # fmt: skip
            raise invalid_request("Invalid TOC")
    return written


def checked_includes(entity: str, inc: str | None, *, allowed: Iterable[str] | None = None) -> str:
    """``inc`` normalised (sorted, ``+``-joined: equal requests share a cache entry), or
    MusicBrainz' 400 naming the first value the entity does not take.

    ``inc`` arrives as MusicBrainz writes it, ``a+b``: in a query string ``+`` decodes to
    a space, and ``%2B`` to ``+``; both separate values.
    """
    if not inc or not inc.strip(" +"):
        return ""
    valid = frozenset(allowed) if allowed is not None else LOOKUP_INCLUDES[entity]
    values = sorted(set(_SEPARATORS.split(inc.strip(" +"))))
    for value in values:
        if value not in valid:
            raise invalid_request(
                f"{value} is not a valid inc parameter for the {entity} resource."
            )
    return "+".join(values)


def browse_link(entity: str, links: Mapping[str, str | None]) -> tuple[str, str]:
    """The one ``(linked entity, mbid)`` a browse names, or MusicBrainz' 400."""
    given = {name: value for name, value in links.items() if value is not None}
    foreign = sorted(set(given) - BROWSE_LINKS[entity])
    if foreign:
        raise invalid_request(f"{entity} cannot be browsed by {foreign[0]}.")
    if len(given) != 1:
        allowed = ", ".join(sorted(BROWSE_LINKS[entity]))
        raise invalid_request(
            f"Browsing {entity} needs exactly one of: {allowed} (or a query to search)."
        )
    ((name, value),) = given.items()
    return name, checked_mbid(value)


def browse_includes(entity: str) -> frozenset[str]:
    """What a browse of ``entity`` may include: its lookup list without the subqueries
    that would multiply a page (``releases`` of every artist of every release …)."""
    keep = {
        "release": {"artist-credits", "labels", "recordings", "isrcs", "release-groups", "media",
                    "discids"},
        "recording": {"artist-credits", "isrcs"},
        "release-group": {"artist-credits"},
    }.get(entity, set())  # fmt: skip
    misc = {*_MISC, *TAGS, *RATINGS, *RELATIONS}
    return frozenset(value for value in LOOKUP_INCLUDES[entity] if value in keep | misc)
