"""The kinds of MusicBrainz answer: one per entity, plus browse, search and url."""

from __future__ import annotations

from sleeve.musicbrainz import rules
from sleeve.musicbrainz.kinds import DEFAULT_TTLS, ENTITIES


def test_every_entity_of_the_rules_is_a_kind_with_a_lifetime() -> None:
    assert set(ENTITIES) == set(rules.LOOKUP_INCLUDES)
    assert set(DEFAULT_TTLS) == {*ENTITIES, "browse", "search"}
