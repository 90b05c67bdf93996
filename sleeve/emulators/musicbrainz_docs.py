"""MusicBrainz JSON documents assembled from the catalogue for a given set of includes.

Bare documents come straight from ``metabrainz_data``; every ``inc`` adds the keys the real
service adds for it, with the real key names: ``artist-credit``, ``label-info``,
``release-group``, ``media`` (``tracks`` only with ``recordings``), ``relations`` (one
flat list; each entry names its ``target-type`` and carries the target under that name,
``release_group`` with an underscore as in the real JSON), ``isrcs``, ``aliases``,
``tags``, ``genres``, ``rating``, ``annotation``, a medium's ``discs``. The XML
representation is derived from these documents by ``musicbrainz_xml``, so both always
agree.
"""

from __future__ import annotations

import copy

from .metabrainz_data import CdStub, Credit, Disc, Doc, Medium, MetaBrainzCatalogue, Relation, mbid
from .musicbrainz_includes import relation_kinds

SUBQUERY_LIMIT = 25  # lookups list at most 25 linked releases/recordings/…, like the real one
ARTIST_REF_KEYS = ("id", "name", "sort-name", "disambiguation", "type", "type-id", "country")
LABEL_REF_KEYS = ("id", "name", "sort-name", "disambiguation", "label-code", "type", "type-id")


def json_kind(kind: str) -> str:
    """``release-group`` is ``release_group`` as a relationship target type."""
    return kind.replace("-", "_")


class DocumentBuilder:
    """Renders entities of one catalogue; stateless apart from the catalogue."""

    def __init__(self, catalogue: MetaBrainzCatalogue) -> None:
        self.cat = catalogue

    # --- bare documents and references ------------------------------------------------

    def bare(self, kind: str, entity_id: str) -> Doc:
        doc = copy.deepcopy(self.cat.entities[kind][entity_id])
        if kind == "release":
            doc["cover-art-archive"] = self.cat.caa_summary(entity_id)
        elif kind == "recording":
            doc["first-release-date"] = self.first_release_date(entity_id)
        return doc

    def artist_ref(self, artist_id: str) -> Doc:
        artist = self.cat.entities["artist"][artist_id]
        return {k: artist[k] for k in ARTIST_REF_KEYS if k in artist}

    def label_ref(self, label_id: str) -> Doc:
        label = self.cat.entities["label"][label_id]
        return {k: label[k] for k in LABEL_REF_KEYS if k in label}

    def artist_credit(self, credits: list[Credit]) -> list[Doc]:
        return [
            {"name": c.name, "joinphrase": c.joinphrase, "artist": self.artist_ref(c.artist)}
            for c in credits
        ]

    # --- lookups --------------------------------------------------------------------------

    def lookup(self, kind: str, entity_id: str, inc: frozenset[str]) -> Doc:
        """The document ``GET /ws/2/{kind}/{entity_id}?inc=…`` answers with."""
        doc = self.bare(kind, entity_id)
        adder = getattr(self, "_add_" + kind.replace("-", "_"), None)
        if adder is not None:
            adder(doc, entity_id, inc)
        self.add_common(doc, entity_id, inc)
        return doc

    def add_common(self, doc: Doc, entity_id: str, inc: frozenset[str]) -> None:
        """Includes every entity shares: aliases, annotation, tags, genres, rating, rels."""
        if "aliases" in inc:
            doc["aliases"] = copy.deepcopy(self.cat.aliases.get(entity_id, []))
        if "annotation" in inc:
            doc["annotation"] = self.cat.annotations.get(entity_id)
        if "tags" in inc:
            doc["tags"] = [{"name": n, "count": c} for n, c in self.cat.tags.get(entity_id, [])]
        if "genres" in inc:
            doc["genres"] = [
                {"id": _genre_id(n), "name": n, "disambiguation": "", "count": c}
                for n, c in self.cat.genres.get(entity_id, [])
            ]
        if "ratings" in inc:
            value, votes = self.cat.ratings.get(entity_id, (None, 0))
            doc["rating"] = {"value": value, "votes-count": votes}
        kinds = relation_kinds(inc)
        if kinds:
            doc["relations"] = self.relations(entity_id, kinds, "work-level-rels" in inc)

    def relations(self, entity_id: str, kinds: frozenset[str], work_level: bool) -> list[Doc]:
        """Relationships of ``entity_id`` whose other end is of one of ``kinds``."""
        result = []
        for relation in self.cat.relations:
            if relation.source == entity_id and relation.target_kind in kinds:
                result.append(self._relation(relation, "forward", kinds, work_level))
            elif relation.target == entity_id and relation.source_kind in kinds:
                result.append(self._relation(relation, "backward", kinds, work_level))
        return result

    def _relation(
        self, relation: Relation, direction: str, kinds: frozenset[str], work_level: bool
    ) -> Doc:
        forward = direction == "forward"
        other_kind = relation.target_kind if forward else relation.source_kind
        other_id = relation.target if forward else relation.source
        target = self.bare(other_kind, other_id)
        if other_kind == "artist":
            target = self.artist_ref(other_id)
        if other_kind == "work" and work_level:
            target["relations"] = self.relations(other_id, kinds, False)
        attributes = list(relation.attributes)
        doc: Doc = {
            "type": relation.type,
            "type-id": relation.type_id,
            "target-type": json_kind(other_kind),
            "direction": direction,
            "begin": relation.begin,
            "end": relation.end,
            "ended": relation.end is not None,
            "attributes": attributes,
            "attribute-ids": {a: _attribute_id(a) for a in attributes},
            "attribute-values": {},
            "source-credit": "",
            "target-credit": "",
        }
        if relation.ordering_key is not None:
            doc["ordering-key"] = relation.ordering_key
            doc["attribute-values"] = {a: str(relation.ordering_key) for a in attributes}
        doc[json_kind(other_kind)] = target
        return doc

    # --- per-kind subqueries ----------------------------------------------------------

    def _add_release(self, doc: Doc, release: str, inc: frozenset[str]) -> None:
        if inc & {"artists", "artist-credits"}:
            doc["artist-credit"] = self.artist_credit(self.cat.credits.get(release, []))
        if "labels" in inc:
            doc["label-info"] = [
                {"catalog-number": catno, "label": self.label_ref(label)}
                for label, catno in self.cat.label_info.get(release, [])
            ]
        if "release-groups" in inc:
            group = self.cat.release_group_of[release]
            doc["release-group"] = self.bare("release-group", group)
            if inc & {"artists", "artist-credits"}:
                credits = self.cat.credits.get(group, [])
                doc["release-group"]["artist-credit"] = self.artist_credit(credits)
            if "release-group-level-rels" in inc and relation_kinds(inc):
                rels = self.relations(group, relation_kinds(inc), False)
                doc["release-group"]["relations"] = rels
        if inc & {"media", "recordings", "discids", "isrcs"}:
            doc["media"] = [self.medium(m, inc) for m in self.cat.media.get(release, [])]

    def medium(self, medium: Medium, inc: frozenset[str]) -> Doc:
        doc: Doc = {"position": medium.position, "title": medium.title}
        doc |= {"format": medium.format, "format-id": _format_id(medium.format)}
        doc["track-count"] = len(medium.tracks)
        if "discids" in inc:
            doc["discs"] = [self.disc(self.cat.discs[d]) for d in sorted(medium.discs)]
        if "recordings" not in inc:
            return doc
        doc["track-offset"] = 0
        doc["tracks"] = []
        for track in medium.tracks:
            recording = self.bare("recording", track.recording)
            entry: Doc = {"id": track.id, "position": track.position, "number": track.number}
            entry |= {"title": track.title, "length": track.length}
            if "artist-credits" in inc:
                credit = self.artist_credit(self.cat.credits.get(track.recording, []))
                entry["artist-credit"] = credit
                recording["artist-credit"] = copy.deepcopy(credit)
            if "isrcs" in inc:
                recording["isrcs"] = list(self.cat.isrcs.get(track.recording, []))
            if "recording-level-rels" in inc and relation_kinds(inc):
                kinds = relation_kinds(inc)
                work_level = "work-level-rels" in inc
                recording["relations"] = self.relations(track.recording, kinds, work_level)
            entry["recording"] = recording
            doc["tracks"].append(entry)
        return doc

    @staticmethod
    def genre_id(name: str) -> str:
        return _genre_id(name)

    @staticmethod
    def disc(disc: Disc) -> Doc:
        """A disc as the real JSON has it (``sectors`` is the lead-out's offset)."""
        return {
            "id": disc.id,
            "offset-count": len(disc.offsets),
            "offsets": list(disc.offsets),
            "sectors": disc.sectors,
        }

    @staticmethod
    def cdstub(stub: CdStub) -> Doc:
        return {
            "id": stub.id,
            "title": stub.title,
            "artist": stub.artist,
            "barcode": stub.barcode,
            "disambiguation": stub.comment,
            "track-count": len(stub.tracks),
            "tracks": [
                {"title": title, "artist": None, "length": length} for title, length in stub.tracks
            ],
        }

    def _add_release_group(self, doc: Doc, group: str, inc: frozenset[str]) -> None:
        if inc & {"artists", "artist-credits"}:
            doc["artist-credit"] = self.artist_credit(self.cat.credits.get(group, []))
        if "releases" in inc:
            releases = self.cat.releases_in_group(group)[:SUBQUERY_LIMIT]
            doc["releases"] = [self._release_in_list(r, inc) for r in releases]

    def _add_recording(self, doc: Doc, recording: str, inc: frozenset[str]) -> None:
        if inc & {"artists", "artist-credits"}:
            doc["artist-credit"] = self.artist_credit(self.cat.credits.get(recording, []))
        if "isrcs" in inc:
            doc["isrcs"] = list(self.cat.isrcs.get(recording, []))
        if "releases" in inc:
            releases = self.cat.releases_with_recording(recording)[:SUBQUERY_LIMIT]
            doc["releases"] = [self._release_in_list(r, inc) for r in releases]

    def first_release_date(self, recording: str) -> str:
        dates = [
            self.cat.entities["release"][r].get("date") or ""
            for r in self.cat.releases_with_recording(recording)
        ]
        return min((d for d in dates if d), default="")

    def _add_artist(self, doc: Doc, artist: str, inc: frozenset[str]) -> None:
        if "releases" in inc:
            releases = [r for r in self.cat.entities["release"] if self.cat.credited(r, artist)]
            doc["releases"] = [self._release_in_list(r, inc) for r in releases[:SUBQUERY_LIMIT]]
        if "release-groups" in inc:
            groups = [g for g in self.cat.entities["release-group"] if self.cat.credited(g, artist)]
            doc["release-groups"] = [self.bare("release-group", g) for g in groups]
        if "recordings" in inc:
            recs = [r for r in self.cat.entities["recording"] if self.cat.credited(r, artist)]
            doc["recordings"] = [self.bare("recording", r) for r in recs[:SUBQUERY_LIMIT]]
        if "works" in inc:
            works = {
                r.target
                for r in self.cat.relations
                if r.source == artist and r.target_kind == "work"
            }
            doc["works"] = [self.bare("work", w) for w in sorted(works)]

    def _add_label(self, doc: Doc, label: str, inc: frozenset[str]) -> None:
        if "releases" in inc:
            releases = self.releases_on_label(label)[:SUBQUERY_LIMIT]
            doc["releases"] = [self._release_in_list(r, inc) for r in releases]

    def releases_on_label(self, label: str) -> list[str]:
        return [
            r for r, infos in self.cat.label_info.items() if any(lab == label for lab, _ in infos)
        ]

    def _release_in_list(self, release: str, inc: frozenset[str]) -> Doc:
        doc = self.bare("release", release)
        if "media" in inc:
            media = self.cat.media.get(release, [])
            doc["media"] = [self.medium(m, inc & {"discids"}) for m in media]
        return doc


def _genre_id(name: str) -> str:
    return mbid("genre", name)


def _attribute_id(name: str) -> str:
    return mbid("link-attribute", name)


def _format_id(name: str) -> str:
    return mbid("medium-format", name)
