"""The contract itself: a valid OpenAPI 3.1 document that says everything it must.

The document is written as a root and its parts (``openapi/sleeve.yaml``, ``openapi/parts/``);
everything here reads the bundle sleeve runs and serves.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sleeve.handlers import handler_name
from sleeve.handlers.acousticbrainz import AcousticBrainzHandlers
from sleeve.handlers.coverart import CoverArtHandlers
from sleeve.handlers.discogs import DiscogsHandlers
from sleeve.handlers.docs import DocsHandlers
from sleeve.handlers.gateway import GatewayHandlers
from sleeve.handlers.image_stats import ImageStatsHandlers
from sleeve.handlers.images import ImageHandlers
from sleeve.handlers.itunes import ITunesHandlers
from sleeve.handlers.links import LinkHandlers
from sleeve.handlers.lookup import LookupHandlers
from sleeve.handlers.meta import MetaHandlers
from sleeve.handlers.musicbrainz import MusicBrainzHandlers
from sleeve.handlers.observability import ObservabilityHandlers
from sleeve.handlers.spotify import SpotifyHandlers
from sleeve.handlers.tidal import TidalHandlers

from sleeve.app import SPEC_PATH
from sleeve.musicbrainz import rules
from sleeve.openapi31 import BundleError, bundle

DOCUMENT: dict[str, Any] = bundle(SPEC_PATH)
PARTS = sorted((SPEC_PATH.parent / "parts").glob("*.yaml"))
OPERATIONS = [
    (path, method, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in ("get", "put", "post", "delete", "patch", "head", "options")
]
UPSTREAM_ERRORS = {"400", "429", "502", "503", "504"}
# The Cover Art Archive's contract says 503 for every way of not reaching it.
COVER_ART_ERRORS = {"400", "404", "429", "502", "503"}
HANDLERS = (
    DiscogsHandlers,
    MusicBrainzHandlers,
    CoverArtHandlers,
    LinkHandlers,
    AcousticBrainzHandlers,
    MetaHandlers,
    DocsHandlers,
    GatewayHandlers,
    ImageHandlers,
    ImageStatsHandlers,
    ITunesHandlers,
    SpotifyHandlers,
    LookupHandlers,
    TidalHandlers,
    ObservabilityHandlers,
)
PROXIED = {"Database", "Service", "MusicBrainz", "Links"}


def test_the_document_is_openapi_3_1_and_valid() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_operation_is_named_summarised_and_handled(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    assert operation["operationId"]
    assert operation["summary"]
    name = handler_name(operation["operationId"])
    assert sum(hasattr(cls, name) for cls in HANDLERS) == 1


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    [op for op in OPERATIONS if PROXIED & set(op[2]["tags"]) or "CoverArtArchive" in op[2]["tags"]],
)
def test_upstream_operations_document_every_failure(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    assert "200" in operation["responses"]
    if method == "options":
        return
    wanted = UPSTREAM_ERRORS if PROXIED & set(operation["tags"]) else COVER_ART_ERRORS
    assert set(operation["responses"]) >= wanted


def test_the_discogs_credential_forms_are_all_accepted() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    discogs_forms = [
        s
        for s in schemes.values()
        if s["type"] == "apiKey" and "Discogs" in s["description"] and s["name"] != "X-Sleeve-Key"
    ]
    assert {(s["in"], s["name"]) for s in discogs_forms} == {
        ("header", "Authorization"),
        ("query", "token"),
        ("query", "key"),
        ("query", "secret"),
    }
    assert {} in DOCUMENT["security"]


def test_links_let_the_stateful_phase_walk() -> None:
    def links(path: str) -> set[str]:
        response = DOCUMENT["paths"][path]["get"]["responses"]["200"]
        return {link["operationId"] for link in response.get("links", {}).values()}

    assert "getArtistReleases" in links("/artists/{artist_id}")
    assert "getMasterVersions" in links("/masters/{master_id}")
    assert "getMaster" in links("/releases/{release_id}")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(pointer: str) -> Any:
    node: Any = DOCUMENT
    for token in pointer.removeprefix("#/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_the_bundle_is_self_contained_and_every_ref_resolves() -> None:
    refs = set(_refs(DOCUMENT))
    assert refs, "a document of this size without a single $ref was not bundled from parts"
    assert {ref for ref in refs if not ref.startswith("#/components/")} == set()
    for ref in sorted(refs):
        assert isinstance(_resolve(ref), dict), ref


def test_the_parts_scaffolding_stays_out_of_the_bundle() -> None:
    """A part's ``x-`` keys (its block of YAML anchors) are for its author only."""
    assert not [key for key in DOCUMENT if key.startswith("x-")]


def test_bundling_is_deterministic() -> None:
    assert json.dumps(bundle(SPEC_PATH)) == json.dumps(DOCUMENT)


def test_every_component_is_used() -> None:
    """Nothing a part defines is dead: every component is referenced, every security
    scheme named by a security requirement."""
    referenced = {tuple(ref.split("/")[2:4]) for ref in _refs(DOCUMENT)}
    required = [*DOCUMENT["security"]] + [
        requirement
        for _, _, operation in OPERATIONS
        for requirement in operation.get("security", [])
    ]
    named = {("securitySchemes", name) for requirement in required for name in requirement}
    defined = {
        (section, name)
        for section, components in DOCUMENT["components"].items()
        for name in components
    }
    assert defined - referenced - named == set()


@pytest.mark.parametrize("part", PARTS, ids=[part.name for part in PARTS])
def test_every_part_is_needed(part: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Without any one of the parts, the contract does not bundle, and the error says which."""
    contract = tmp_path / "openapi"
    shutil.copytree(SPEC_PATH.parent, contract)
    (contract / "parts" / part.name).unlink()
    with pytest.raises(BundleError, match=re.escape(f"parts/{part.name}")):
        bundle(contract / SPEC_PATH.name)


# The ``inc`` values the contract's patterns admit are the ones sleeve/musicbrainz/rules.py
# checks: the pattern is written out in the contract (for clients and schemathesis) and has
# to be kept in step by hand.
def _inc_candidates() -> frozenset[str]:
    """Every value rules.py knows for any entity, every word of any ``inc`` pattern, and
    values MusicBrainz takes or took that sleeve refuses (a login's own, or retired)."""
    known = {value for values in rules.LOOKUP_INCLUDES.values() for value in values}
    in_patterns = {
        word.replace("\\", "")
        for parameter in DOCUMENT["components"]["parameters"].values()
        if parameter["name"] == "inc"
        for word in re.findall(r"[a-z][a-z\\_-]*[a-z]", parameter["schema"]["pattern"])
    }
    refused = {"user-tags", "user-genres", "user-ratings", "puids", "echoprints"}
    return frozenset(known | in_patterns | refused)


MUSICBRAINZ_INC = [
    (path, operation)
    for path, _, operation in OPERATIONS
    if path.startswith("/ws/2/")
    for reference in operation.get("parameters", [])
    if _resolve(reference["$ref"])["name"] == "inc"
]


def _includes_sleeve_allows(path: str) -> frozenset[str]:
    entity = path.removeprefix("/ws/2/").split("/")[0]
    if "{mbid}" in path or entity not in rules.BROWSE_LINKS:
        return rules.LOOKUP_INCLUDES[entity]
    return rules.browse_includes(entity)


@pytest.mark.parametrize(
    ("path", "operation"), MUSICBRAINZ_INC, ids=[op["operationId"] for _, op in MUSICBRAINZ_INC]
)
def test_the_inc_pattern_admits_what_musicbrainz_rules_allow(
    path: str, operation: dict[str, Any]
) -> None:
    (parameter,) = [
        _resolve(reference["$ref"])
        for reference in operation["parameters"]
        if _resolve(reference["$ref"])["name"] == "inc"
    ]
    schema = parameter["schema"]
    allowed = _includes_sleeve_allows(path)
    admitted = {value for value in _inc_candidates() if re.search(schema["pattern"], value)}
    assert admitted == allowed, (
        f"only in the contract: {sorted(admitted - allowed)}; "
        f"only in rules.py: {sorted(allowed - admitted)}"
    )
    # ... and in the forms rules.checked_includes reads: "+"- or space-separated, all at once.
    everything = sorted(allowed)
    for joined in ("+".join(everything), " ".join(everything), f" +{everything[0]}+ ", ""):
        assert re.search(schema["pattern"], joined), joined
        assert len(joined) <= schema["maxLength"], joined
