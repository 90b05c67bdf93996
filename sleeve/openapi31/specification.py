"""Loading an OpenAPI 3.1 document into connexion's ``Specification`` interface."""

from __future__ import annotations

import pathlib
from typing import Any

from connexion.exceptions import InvalidSpecification
from connexion.operations import OpenAPIOperation
from connexion.spec import OpenAPISpecification
from openapi_spec_validator import OpenAPIV31SpecValidator

from .bundle import bundle


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
    """Bundle the document whose root is at ``path`` and load it, without templating it.

    The contract is split over files (see :mod:`.bundle`); bundling first hands the validator
    and connexion one self-contained document, with no relative ``$ref`` that would need a
    base URI and no recursive schema in another file for connexion's resolver to chase
    forever. A one-file document bundles to itself.

    connexion's own loader renders every document through Jinja2 first, which would eat any
    ``{{`` in a description; the contract is plain YAML, so it is read as such.
    """
    return OpenAPI31Specification(bundle(path))
