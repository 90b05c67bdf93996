"""Loading an OpenAPI 3.1 document into connexion's ``Specification`` interface."""

from __future__ import annotations

import pathlib
from typing import Any

import yaml
from connexion.exceptions import InvalidSpecification
from connexion.operations import OpenAPIOperation
from connexion.spec import OpenAPISpecification
from openapi_spec_validator import OpenAPIV31SpecValidator


class OpenAPI31Operation(OpenAPIOperation):
    """An operation whose path parameters are routed as plain segments.

    connexion turns ``type: integer`` path parameters into router converters, so
    ``/artists/abc`` would find no route and answer a bare 404, and a type array would
    crash the converter lookup. Routing every segment as text lets the validator answer
    a 400 that names the parameter and what is wrong with it.
    """

    def get_path_parameter_types(self) -> dict[str, str | None]:
        return {
            parameter["name"]: "path"
            if parameter.get("schema", {}).get("format") == "path"
            else None
            for parameter in self.parameters
            if parameter["in"] == "path"
        }


class OpenAPI31Specification(OpenAPISpecification):
    """connexion's OpenAPI 3 specification, validated as 3.1 instead of 3.0.

    connexion checks documents against its bundled 3.0 meta-schema, which rejects
    ``openapi: 3.1.x`` and 3.1 schema forms (type arrays, numeric ``exclusiveMinimum``).
    openapi-spec-validator carries the 3.1 meta-schema and follows ``$ref`` properly.
    """

    operation_cls = OpenAPI31Operation

    @classmethod
    def _validate_spec(cls, spec: dict[str, Any]) -> None:
        version = str(spec.get("openapi", ""))
        if not version.startswith("3.1."):
            raise InvalidSpecification(f"expected an OpenAPI 3.1.x document, got {version!r}")
        try:
            error = next(iter(OpenAPIV31SpecValidator(spec).iter_errors()), None)
        except (KeyError, TypeError, ValueError) as exc:  # the validator trips on some shapes
            raise InvalidSpecification(f"invalid OpenAPI 3.1 document: {exc!r}") from exc
        if error is not None:
            raise InvalidSpecification(f"invalid OpenAPI 3.1 document: {error.message}")


def load_specification(path: str | pathlib.Path) -> OpenAPI31Specification:
    """Read the YAML document at ``path`` without templating it.

    connexion's own loader renders every document through Jinja2 first, which would eat any
    ``{{`` in a description; the contract is plain YAML, so it is read as such.
    """
    path = pathlib.Path(path)
    # libyaml's loader when PyYAML has it: the document is large, and the pure-Python one
    # takes most of the app's start-up time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return OpenAPI31Specification(raw, base_uri=f"{path.parent.resolve().as_uri()}/")
