"""The connexion bridge follows OpenAPI 3.1 / JSON Schema 2020-12, not draft 4.

Each test runs a tiny 3.1 document through :class:`SpecFirstApp` over ASGI. Under
connexion's stock draft-4 validation, ``const`` would be ignored, ``exclusiveMinimum: 0``
misread as a boolean, and ``type: [integer, "null"]`` would crash with a 500.
"""

from __future__ import annotations

import pathlib
from typing import Any

import httpx
import pytest
import yaml
from connexion.exceptions import InvalidSpecification
from starlette.responses import JSONResponse

from sleeve.openapi31 import BundleError, SpecFirstApp, bundle, load_specification

ANY_JSON = {"application/json": {"schema": {"type": "object"}}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.1",
    "info": {"title": "bridge test", "version": "1"},
    "paths": {
        "/items/{item_id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "exclusiveMinimum": 0},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": ["integer", "null"], "maximum": 10},
                    },
                    {"name": "mode", "in": "query", "schema": {"const": "fast"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
                ],
                "responses": {"200": {"description": "the item", "content": ANY_JSON}},
            }
        },
        "/items": {
            "post": {
                "operationId": "createItem",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["kind", "size"],
                                "properties": {
                                    "kind": {"const": "vinyl"},
                                    "size": {"type": ["number", "null"], "exclusiveMinimum": 0},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "created", "content": ANY_JSON}},
            }
        },
        "/broken": {
            "get": {
                "operationId": "getBroken",
                "responses": {
                    "200": {
                        "description": "always kind=vinyl",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"kind": {"const": "vinyl"}},
                                }
                            }
                        },
                    }
                },
            }
        },
    },
}


async def get_item(item_id: int, limit: int | None = None, mode: str | None = None, page: int = 0):
    return JSONResponse({"item_id": item_id, "limit": limit, "mode": mode, "page": page})


async def create_item(body: dict[str, Any]):
    return JSONResponse(body, status_code=201)


async def get_broken():
    return JSONResponse({"kind": "cassette"})


HANDLERS = {"getItem": get_item, "createItem": create_item, "getBroken": get_broken}


def write_document(tmp_path: pathlib.Path, document: dict[str, Any]) -> pathlib.Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
async def client(tmp_path: pathlib.Path):
    app = SpecFirstApp(__name__, resolver=HANDLERS.__getitem__, validate_responses=True)
    app.add_api(load_specification(write_document(tmp_path, DOCUMENT)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge") as http:
        yield http


async def test_loads_a_31_document_unchanged(tmp_path: pathlib.Path) -> None:
    spec = load_specification(write_document(tmp_path, DOCUMENT))
    assert spec.raw["openapi"] == "3.1.1"
    assert spec.raw["paths"] == DOCUMENT["paths"]


def test_rejects_a_30_document(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InvalidSpecification, match=r"3\.1"):
        load_specification(write_document(tmp_path, {**DOCUMENT, "openapi": "3.0.3"}))


def test_rejects_an_invalid_31_document(tmp_path: pathlib.Path) -> None:
    broken = {**DOCUMENT, "paths": {"/x": {"get": {"responses": {"200": {"description": 5}}}}}}
    with pytest.raises(InvalidSpecification):
        load_specification(write_document(tmp_path, broken))


async def test_type_array_with_null_in_a_query_parameter(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/1?limit=7")).json()["limit"] == 7
    assert (await client.get("/items/1?limit=null")).json()["limit"] is None
    assert (await client.get("/items/1")).json()["limit"] is None
    rejected = await client.get("/items/1?limit=seven")
    assert rejected.status_code == 400
    assert "limit" in rejected.json()["detail"]
    too_big = await client.get("/items/1?limit=11")
    assert too_big.status_code == 400
    assert "maximum" in too_big.json()["detail"]


async def test_const_in_a_query_parameter(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/1?mode=fast")).status_code == 200
    rejected = await client.get("/items/1?mode=slow")
    assert rejected.status_code == 400
    assert "mode" in rejected.json()["detail"]


async def test_numeric_exclusive_minimum_in_a_path_parameter(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/1")).status_code == 200
    zero = await client.get("/items/0")
    assert zero.status_code == 400
    assert "item_id" in zero.json()["detail"]


async def test_query_defaults_reach_the_handler(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/1")).json()["page"] == 1


async def test_request_body_const_and_nullable_number(client: httpx.AsyncClient) -> None:
    ok = await client.post("/items", json={"kind": "vinyl", "size": 12})
    assert ok.status_code == 201
    assert (await client.post("/items", json={"kind": "vinyl", "size": None})).status_code == 201
    wrong_const = await client.post("/items", json={"kind": "cassette", "size": 12})
    assert wrong_const.status_code == 400
    assert "vinyl" in wrong_const.json()["detail"]
    zero = await client.post("/items", json={"kind": "vinyl", "size": 0})
    assert zero.status_code == 400
    assert "size" in zero.json()["detail"]


async def test_a_body_that_is_not_utf8_or_not_json_is_a_400(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json"}
    for content in (b"\xff\x87{}", b"{not json"):
        response = await client.post("/items", content=content, headers=headers)
        assert response.status_code == 400
        assert "body" in response.json()["detail"]


async def test_response_validation_enforces_const(client: httpx.AsyncClient) -> None:
    response = await client.get("/broken")
    assert response.status_code == 500
    assert "conform" in response.json()["detail"]


# -- bundling a document written in several files --------------------------------------

ROOT = """\
openapi: 3.1.1
info: {title: bundle test, version: "1"}
paths:
  /tracks/{track_id}:
    $ref: parts/tracks.yaml#/paths/~1tracks~1{track_id}
  /health:
    $ref: parts/health.yaml#/paths/~1health
"""
TRACKS = """\
x-anchors:
  ok: &ok
    description: a track
    content:
      application/json:
        schema: {$ref: '#/components/schemas/Track'}
paths:
  /tracks/{track_id}:
    get:
      operationId: getTrack
      parameters:
        - {name: track_id, in: path, required: true, schema: {type: integer}}
      responses:
        '200': *ok
        '404': {$ref: shared.yaml#/components/responses/NotFound}
components:
  schemas:
    Track:
      type: object
      required: [title]
      properties:
        title: {type: string}
        sub_tracks:
          type: array
          items: {$ref: '#/components/schemas/Track'}
"""
HEALTH = """\
paths:
  /health:
    get:
      operationId: getHealth
      responses:
        '200': {description: up}
        '404': {$ref: shared.yaml#/components/responses/NotFound}
"""
SHARED = """\
components:
  schemas:
    Error:
      type: object
      properties:
        message: {type: string}
  responses:
    NotFound:
      description: nothing here
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
"""


def write_contract(tmp_path: pathlib.Path, **changes: str | None) -> pathlib.Path:
    """The four-file contract above in ``tmp_path``; ``changes`` replace (or, as None, drop)
    files by name: ``root``, ``tracks``, ``health``, ``shared``."""
    files = {"root": ROOT, "tracks": TRACKS, "health": HEALTH, "shared": SHARED, **changes}
    (tmp_path / "parts").mkdir()
    for name, text in files.items():
        if text is not None:
            path = tmp_path / ("openapi.yaml" if name == "root" else f"parts/{name}.yaml")
            path.write_text(text, encoding="utf-8")
    return tmp_path / "openapi.yaml"


def test_bundles_parts_into_one_self_contained_document(tmp_path: pathlib.Path) -> None:
    document = bundle(write_contract(tmp_path))
    assert list(document) == ["openapi", "info", "paths", "components"]
    assert list(document["paths"]) == ["/tracks/{track_id}", "/health"]
    get_track = document["paths"]["/tracks/{track_id}"]["get"]
    assert get_track["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Track"
    }
    assert get_track["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    # The parts' components in the order the root's paths reach the parts.
    assert {section: list(names) for section, names in document["components"].items()} == {
        "schemas": ["Track", "Error"],
        "responses": ["NotFound"],
    }
    track = document["components"]["schemas"]["Track"]
    assert track["properties"]["sub_tracks"]["items"] == {"$ref": "#/components/schemas/Track"}
    assert "x-anchors" not in document


async def test_a_recursive_schema_in_a_part_loads_and_validates(tmp_path: pathlib.Path) -> None:
    """connexion's own resolver would recurse forever on ``Track`` in another file."""

    async def get_track(track_id: int):
        body = {"title": "A", "sub_tracks": [{"title": "A.1", "sub_tracks": [{"title": 1}]}]}
        return JSONResponse(body if track_id == 2 else {"title": "B", "sub_tracks": []})

    handlers = {"getTrack": get_track, "getHealth": get_broken}
    app = SpecFirstApp(__name__, resolver=handlers.__getitem__, validate_responses=True)
    app.add_api(load_specification(write_contract(tmp_path)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge") as http:
        assert (await http.get("/tracks/1")).status_code == 200
        # A sub-sub-track without a string title breaks the schema two levels down.
        assert (await http.get("/tracks/2")).status_code == 500


def test_a_one_file_document_bundles_to_itself(tmp_path: pathlib.Path) -> None:
    assert bundle(write_document(tmp_path, DOCUMENT)) == DOCUMENT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"health": None}, r"openapi\.yaml#/paths/~1health: .* parts/health\.yaml, which does not"),
        (
            {"shared": SHARED.replace("NotFound:", "Gone:")},
            r"parts/tracks\.yaml#/paths/.*/404: .* does not resolve: parts/shared\.yaml has no "
            r"#/components/responses/NotFound",
        ),
        (
            {"health": HEALTH + "components:\n  schemas:\n    Track: {type: object}\n"},
            r"parts/health\.yaml#/components/schemas/Track is also defined in parts/tracks\.yaml",
        ),
        (
            {
                "tracks": TRACKS.replace(
                    "        title: {type: string}\n", "        title: {}\n" * 2
                )
            },
            r"parts/tracks\.yaml, line \d+: key 'title' is written twice",
        ),
        (
            {"health": HEALTH + "  /ready:\n    get: {responses: {'200': {description: ok}}}\n"},
            r"parts/health\.yaml#/paths/~1ready is not listed in openapi\.yaml's paths",
        ),
        (
            {"root": ROOT.replace("parts/health.yaml#/paths/~1health", "parts/health.yaml#/x")},
            r"openapi\.yaml#/paths/~1health: .* should name a part's path item of the same name",
        ),
        (
            {"health": "info: {title: x}\n" + HEALTH},
            r"parts/health\.yaml: a part holds only paths, components and x- keys, not 'info'",
        ),
        (
            {"shared": SHARED.replace("'#/components/schemas/Error'", "https://x.test/e.yaml#/E")},
            r"parts/shared\.yaml#/components/responses/NotFound/.*: the contract's refs stay",
        ),
    ],
    ids=[
        "missing part",
        "unresolvable ref",
        "component in two files",
        "key twice in a file",
        "path not listed",
        "path ref to another name",
        "part with a root key",
        "remote ref",
    ],
)
def test_a_contract_that_does_not_bundle_is_refused_naming_file_and_key(
    tmp_path: pathlib.Path, changes: dict[str, str | None], message: str
) -> None:
    with pytest.raises(BundleError, match=message):
        bundle(write_contract(tmp_path, **changes))
