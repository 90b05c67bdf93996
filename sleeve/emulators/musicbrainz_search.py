"""Search and browse over the MetaBrainz catalogue, the way the MusicBrainz web service
answers ``?query=…`` and ``?{linked entity}={mbid}``.

Search is a deliberately small Lucene subset: ``field:value``, ``field:"a phrase"``,
``field:(several words)``, bare terms and phrases, backslash escapes; ``AND``/``OR``/``NOT``
are ignored and every clause must match (AND). Matching is a case-insensitive substring
test over the fields listed in ``SEARCH_FIELDS`` (identifiers such as ``isrc`` or ``reid``
must match whole). Clients (musicbrainzngs, beets) build exactly these shapes. Scores are
100 for exact matches and lower for partial ones, so results come best first.

Browse follows the documented links (release by artist, label, recording or release group;
recording by artist, release or work; …) and falls back to relationships.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .metabrainz_data import Doc, MetaBrainzCatalogue
from .musicbrainz_docs import DocumentBuilder

_TOKEN = re.compile(
    r"""(?P<field>[A-Za-z_][\w-]*):(?:"(?P<fq>(?:[^"\\]|\\.)*)"|\((?P<fg>(?:[^)\\]|\\.)*)\)
        |(?P<fv>(?:[^\s\\()"]|\\.)+))
      | "(?P<q>(?:[^"\\]|\\.)*)"
      | \((?P<g>(?:[^)\\]|\\.)*)\)
      | (?P<t>(?:[^\s\\()"]|\\.)+)""",
    re.VERBOSE,
)
_OPERATORS = {"and", "or", "not", "&&", "||", "+", "-"}
# Fields whose values must match whole (identifiers and codes), not as substrings.
EXACT_FIELDS = {
    "arid", "reid", "rgid", "rid", "laid", "wid", "tid", "aid", "eid", "pid", "iid", "sid",
    "uid", "targetid", "targettype", "isrc", "iswc", "barcode", "catno", "code", "country",
    "iso", "status", "type", "primarytype", "secondarytype",
}  # fmt: skip
BROWSE_LINKS = {
    "release": ("artist", "label", "recording", "release-group", "track_artist", "area"),
    "release-group": ("artist", "release"),
    "recording": ("artist", "release", "work"),
    "artist": ("recording", "release", "release-group", "work", "area"),
    "label": ("release", "area"),
    "work": ("artist",),
    "event": ("artist", "area", "place"),
    "place": ("area",),
    "area": (),
    "instrument": (),
    "series": (),
}


@dataclass(frozen=True)
class Clause:
    """One ``field:value`` condition; ``field`` None means the kind's default field."""

    field: str | None
    value: str


def parse_query(query: str) -> list[Clause]:
    """Lucene-ish query → AND-ed clauses (lower-cased, escapes removed)."""
    clauses: list[Clause] = []
    for match in _TOKEN.finditer(query):
        field = match["field"]
        if field is not None:
            field = field.lower()
            if match["fg"] is not None:
                clauses += [Clause(field, w) for w in _words(match["fg"])]
            else:
                clauses.append(Clause(field, _unescape(match["fq"] or match["fv"] or "")))
        elif match["q"] is not None:
            clauses.append(Clause(None, _unescape(match["q"])))
        elif match["g"] is not None:
            clauses += [Clause(None, w) for w in _words(match["g"])]
        elif match["t"].lower() not in _OPERATORS:
            clauses.append(Clause(None, _unescape(match["t"])))
    return [Clause(c.field, c.value.lower().strip("*")) for c in clauses if c.value.strip("*")]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _words(group: str) -> list[str]:
    words = [_unescape(w) for w in re.findall(r"(?:[^\s\\]|\\.)+", group)]
    return [w for w in words if w.lower() not in _OPERATORS]


FieldMap = dict[str, list[str]]


class Searcher:
    """Search and browse answers over one catalogue."""

    def __init__(self, catalogue: MetaBrainzCatalogue, docs: DocumentBuilder) -> None:
        self.cat = catalogue
        self.docs = docs

    # --- search -----------------------------------------------------------------------

    def search(self, kind: str, query: str) -> list[tuple[str, int]]:
        """``[(mbid, score)]`` best first."""
        clauses = parse_query(query)
        extract = getattr(self, "_fields_" + kind.replace("-", "_"), None)
        if not clauses or extract is None:
            return []
        hits = []
        for entity_id, doc in self.cat.entities[kind].items():
            fields = extract(entity_id, doc)
            score = _score(clauses, fields)
            if score is not None:
                hits.append((entity_id, score, fields["_default"][0].lower()))
        hits.sort(key=lambda hit: (-hit[1], hit[2], hit[0]))
        return [(entity_id, score) for entity_id, score, _ in hits]

    def _names(self, entity_id: str, doc: Doc, default_field: str) -> FieldMap:
        name = doc.get("name") or doc.get("title") or ""
        aliases = [a["name"] for a in self.cat.aliases.get(entity_id, [])]
        fields: FieldMap = {"_default": [name, *aliases], default_field: [name], "alias": aliases}
        fields["comment"] = [doc.get("disambiguation") or ""]
        fields["type"] = [doc.get("type") or ""]
        fields["tag"] = [t for t, _ in self.cat.tags.get(entity_id, [])]
        return fields

    def _credit_names(self, entity_id: str) -> FieldMap:
        credits = self.cat.credits.get(entity_id, [])
        phrase = "".join(c.name + c.joinphrase for c in credits)
        names = [c.name for c in credits]
        artists = [self.cat.entities["artist"][c.artist]["name"] for c in credits]
        return {
            "artist": [phrase, *names, *artists],
            "artistname": artists,
            "creditname": names,
            "arid": [c.artist for c in credits],
        }

    def _fields_artist(self, artist: str, doc: Doc) -> FieldMap:
        fields = self._names(artist, doc, "artist") | {"arid": [artist]}
        fields["sortname"] = [doc["sort-name"]]
        fields["country"] = [doc.get("country") or ""]
        fields["gender"] = [doc.get("gender") or ""]
        return fields

    def _fields_release(self, release: str, doc: Doc) -> FieldMap:
        fields = self._names(release, doc, "release") | self._credit_names(release)
        group = self.cat.release_group_of[release]
        group_doc = self.cat.entities["release-group"][group]
        infos = self.cat.label_info.get(release, [])
        media = self.cat.media.get(release, [])
        return fields | {
            "reid": [release],
            "rgid": [group],
            "barcode": [doc.get("barcode") or ""],
            "catno": [catno for _, catno in infos],
            "label": [self.cat.entities["label"][label]["name"] for label, _ in infos],
            "laid": [label for label, _ in infos],
            "country": [doc.get("country") or ""],
            "date": [doc.get("date") or ""],
            "status": [doc.get("status") or ""],
            "format": [m.format for m in media],
            "primarytype": [group_doc["primary-type"] or ""],
            "secondarytype": list(group_doc["secondary-types"]),
            "releasegroup": [group_doc["title"]],
            "tracks": [str(sum(len(m.tracks) for m in media))],
        }

    def _fields_release_group(self, group: str, doc: Doc) -> FieldMap:
        fields = self._names(group, doc, "releasegroup") | self._credit_names(group)
        releases = self.cat.releases_in_group(group)
        titles = [self.cat.entities["release"][r]["title"] for r in releases]
        primary = doc["primary-type"] or ""
        return fields | {
            "rgid": [group],
            "release": titles,
            "reid": releases,
            "primarytype": [primary],
            "type": [primary],
            "secondarytype": list(doc["secondary-types"]),
            "firstreleasedate": [doc.get("first-release-date") or ""],
        }

    def _fields_recording(self, recording: str, doc: Doc) -> FieldMap:
        fields = self._names(recording, doc, "recording") | self._credit_names(recording)
        releases = self.cat.releases_with_recording(recording)
        return fields | {
            "rid": [recording],
            "isrc": list(self.cat.isrcs.get(recording, [])),
            "release": [self.cat.entities["release"][r]["title"] for r in releases],
            "reid": releases,
            "rgid": [self.cat.release_group_of[r] for r in releases],
        }

    def _fields_label(self, label: str, doc: Doc) -> FieldMap:
        code = doc.get("label-code")
        fields = self._names(label, doc, "label") | {"laid": [label]}
        return fields | {"code": [str(code or "")], "country": [doc.get("country") or ""]}

    def _fields_work(self, work: str, doc: Doc) -> FieldMap:
        artists = [
            self.cat.entities["artist"][r.source]["name"]
            for r in self.cat.relations
            if r.target == work and r.source_kind == "artist"
        ]
        fields = self._names(work, doc, "work") | {"wid": [work], "artist": artists}
        return fields | {"iswc": list(doc.get("iswcs", []))}

    def _fields_area(self, area: str, doc: Doc) -> FieldMap:
        return (
            self._names(area, doc, "area")
            | {"aid": [area]}
            | {"iso": doc.get("iso-3166-1-codes", [])}
        )

    def _fields_event(self, event: str, doc: Doc) -> FieldMap:
        return self._names(event, doc, "event") | {"eid": [event]}

    def _fields_instrument(self, instrument: str, doc: Doc) -> FieldMap:
        fields = self._names(instrument, doc, "instrument") | {"iid": [instrument]}
        return fields | {"description": [doc.get("description") or ""]}

    def _fields_place(self, place: str, doc: Doc) -> FieldMap:
        return self._names(place, doc, "place") | {"pid": [place], "address": [doc["address"]]}

    def _fields_series(self, series: str, doc: Doc) -> FieldMap:
        return self._names(series, doc, "series") | {"sid": [series]}

    def _fields_url(self, url: str, doc: Doc) -> FieldMap:
        """``url`` (the default), ``uid``, and the entities linking to it: ``relationtype``,
        ``targetid``, ``targettype``."""
        links = [r for r in self.cat.relations if url in (r.source, r.target)]
        return {
            "_default": [doc["resource"]],
            "url": [doc["resource"]],
            "uid": [url],
            "relationtype": [r.type for r in links],
            "targetid": [r.source if r.target == url else r.target for r in links],
            "targettype": [r.source_kind if r.target == url else r.target_kind for r in links],
        }

    def result_doc(self, kind: str, entity_id: str, score: int) -> Doc:
        """A search hit as the real search server shapes it (more than a bare lookup)."""
        docs = self.docs
        doc = docs.bare(kind, entity_id)
        if kind in ("release", "release-group", "recording"):
            doc["artist-credit"] = docs.artist_credit(self.cat.credits.get(entity_id, []))
        if kind == "release":
            group = self.cat.release_group_of[entity_id]
            doc["release-group"] = docs.bare("release-group", group)
            doc["label-info"] = docs.lookup("release", entity_id, frozenset({"labels"}))[
                "label-info"
            ]
            media = self.cat.media.get(entity_id, [])
            doc["track-count"] = sum(len(m.tracks) for m in media)
            doc["media"] = [
                {"format": m.format, "disc-count": 0, "track-count": len(m.tracks)} for m in media
            ]
            doc["count"] = 1
        elif kind == "release-group":
            releases = self.cat.releases_in_group(entity_id)
            doc["count"] = len(releases)
            doc["releases"] = [
                {k: docs.bare("release", r)[k] for k in ("id", "title", "status", "status-id")}
                for r in releases
            ]
        elif kind == "recording":
            doc["isrcs"] = list(self.cat.isrcs.get(entity_id, []))
            doc["releases"] = [
                docs.bare("release", r)
                | {"release-group": docs.bare("release-group", self.cat.release_group_of[r])}
                for r in self.cat.releases_with_recording(entity_id)
            ]
        elif kind == "artist" and self.cat.aliases.get(entity_id):
            doc["aliases"] = docs.lookup(kind, entity_id, frozenset({"aliases"}))["aliases"]
        if self.cat.tags.get(entity_id):
            doc["tags"] = docs.lookup(kind, entity_id, frozenset({"tags"}))["tags"]
        return doc | {"score": score}

    # --- browse -----------------------------------------------------------------------

    def browse(self, kind: str, link: str, linked_id: str) -> list[str]:
        """MBIDs of ``kind`` linked to ``linked_id`` (of kind ``link``), in catalogue order."""
        cat = self.cat
        finders: dict[tuple[str, str], Callable[[], list[str]]] = {
            ("release", "artist"): lambda: self._credited("release", linked_id),
            ("release", "label"): lambda: self.docs.releases_on_label(linked_id),
            ("release", "recording"): lambda: cat.releases_with_recording(linked_id),
            ("release", "release-group"): lambda: cat.releases_in_group(linked_id),
            ("release", "track_artist"): lambda: self._track_artist_releases(linked_id),
            ("release-group", "artist"): lambda: self._credited("release-group", linked_id),
            ("release-group", "release"): lambda: [cat.release_group_of[linked_id]],
            ("recording", "artist"): lambda: self._credited("recording", linked_id),
            ("recording", "release"): lambda: cat.recordings_of_release(linked_id),
            ("artist", "release"): lambda: self._credit_artists(linked_id),
            ("artist", "release-group"): lambda: self._credit_artists(linked_id),
            ("artist", "recording"): lambda: self._credit_artists(linked_id),
            ("label", "release"): lambda: [lab for lab, _ in cat.label_info.get(linked_id, [])],
            ("place", "area"): lambda: self._in_area("place", linked_id),
            ("artist", "area"): lambda: self._in_area("artist", linked_id),
            ("label", "area"): lambda: self._in_area("label", linked_id),
        }
        finder = finders.get((kind, link))
        found = finder() if finder else self._related(kind, linked_id)
        return list(dict.fromkeys(found))

    def _credited(self, kind: str, artist: str) -> list[str]:
        return [e for e in self.cat.entities[kind] if self.cat.credited(e, artist)]

    def _credit_artists(self, entity_id: str) -> list[str]:
        return [c.artist for c in self.cat.credits.get(entity_id, [])]

    def _track_artist_releases(self, artist: str) -> list[str]:
        return [
            r
            for r in self.cat.media
            if not self.cat.credited(r, artist)
            and any(self.cat.credited(rec, artist) for rec in self.cat.recordings_of_release(r))
        ]

    def _in_area(self, kind: str, area: str) -> list[str]:
        return [
            e
            for e, doc in self.cat.entities[kind].items()
            if (doc.get("area") or {}).get("id") == area
        ]

    def _related(self, kind: str, other: str) -> list[str]:
        found = []
        for r in self.cat.relations:
            if r.source == other and r.target_kind == kind:
                found.append(r.target)
            elif r.target == other and r.source_kind == kind:
                found.append(r.source)
        return found

    def release_filter(
        self, kind: str, types: str | None, statuses: str | None
    ) -> Callable[[str], bool]:
        """The ``type=album|ep`` / ``status=official`` filters of release(-group) browses."""
        wanted_types = {t for t in (types or "").lower().split("|") if t}
        wanted_statuses = {s for s in (statuses or "").lower().split("|") if s}

        def keep(entity_id: str) -> bool:
            group = entity_id if kind == "release-group" else self.cat.release_group_of[entity_id]
            group_doc = self.cat.entities["release-group"][group]
            group_types = {(group_doc["primary-type"] or "").lower()}
            group_types |= {s.lower() for s in group_doc["secondary-types"]}
            if wanted_types and not wanted_types & group_types:
                return False
            if kind == "release" and wanted_statuses:
                status = (self.cat.entities["release"][entity_id].get("status") or "").lower()
                return status in wanted_statuses
            return True

        return keep


def _score(clauses: list[Clause], fields: FieldMap) -> int | None:
    """None unless every clause matches. Otherwise 100 x how much of the matched field
    values the clauses cover, averaged: words of an exact title together score 100."""
    covered: dict[tuple[str, str], list[int]] = {}
    for clause in clauses:
        field = clause.field or "_default"
        values = [v.lower() for v in fields.get(field, []) if v]
        if field in EXACT_FIELDS:
            hits = [v for v in values if v == clause.value]
        else:
            hits = sorted((v for v in values if clause.value in v), key=len)
        if not hits:
            return None
        covered.setdefault((field, hits[0]), []).append(len(clause.value))
    ratios = [
        min(1.0, (sum(lengths) + len(lengths) - 1) / len(value))
        for (_field, value), lengths in covered.items()
    ]
    return round(100 * sum(ratios) / len(ratios))
