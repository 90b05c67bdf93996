"""The contract itself: a valid OpenAPI 3.1 document that says everything it must."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sleeve.handlers import handler_name
from sleeve.handlers.acousticbrainz import AcousticBrainzHandlers
from sleeve.handlers.coverart import CoverArtHandlers
from sleeve.handlers.discogs import DiscogsHandlers
from sleeve.handlers.gateway import GatewayHandlers
from sleeve.handlers.image_stats import ImageStatsHandlers
from sleeve.handlers.images import ImageHandlers
from sleeve.handlers.links import LinkHandlers
from sleeve.handlers.meta import MetaHandlers
from sleeve.handlers.musicbrainz import MusicBrainzHandlers

from sleeve.app import SPEC_PATH

DOCUMENT: dict[str, Any] = yaml.safe_load(pathlib.Path(SPEC_PATH).read_text())
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
    GatewayHandlers,
    ImageHandlers,
    ImageStatsHandlers,
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
