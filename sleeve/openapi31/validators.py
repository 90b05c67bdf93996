"""Parameter and JSON-body validation under JSON Schema 2020-12.

connexion builds a validator per request from the classes in its ``validator_map``; these
subclasses keep its plumbing (body buffering, problem exceptions) and swap the schema
dialect. Messages name the parameter or body location, because a client reading
``'abc' is not of type 'integer'`` cannot tell which of ten parameters it got wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem, NonConformingResponseBody
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.types import Scope

from .coercion import coerce_scalar

_validators: dict[int, Draft202012Validator] = {}


def schema_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One compiled validator per schema object, reused across requests.

    connexion hands the same resolved schema dict to every request of an operation, so its
    identity is a sound key; the spec holds the dicts alive for the life of the app.
    """
    validator = _validators.get(id(schema))
    if validator is None:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        _validators[id(schema)] = validator
    return validator


def first_error(schema: dict[str, Any], instance: Any) -> ValidationError | None:
    """The most relevant error of ``instance`` against ``schema``, if any."""
    return best_match(schema_validator(schema).iter_errors(instance))


def describe(error: ValidationError) -> str:
    """An error message with the JSON path of the offending value, if it is nested.

    jsonschema quotes the whole offending value; a 100 kB string is shortened, not echoed.
    """
    message = error.message
    if error.validator == "pattern" and len(str(error.validator_value)) > _PATTERN_LIMIT:
        # A long pattern is no help quoted back; the schema's description says it in words.
        said = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = (
            f"{error.instance!r} is not valid: {said}"
            if said
            else (f"{error.instance!r} is not one of the allowed values (see the description)")
        )
    quoted = repr(error.instance)
    if len(quoted) > _QUOTE_LIMIT and quoted in message:
        message = message.replace(quoted, f"{quoted[: _QUOTE_LIMIT - 12]}…{quoted[-8:]}")
    location = "".join(f"[{part!r}]" for part in error.absolute_path)
    return f"{message} (at {location})" if location else message


_QUOTE_LIMIT = 60
_PATTERN_LIMIT = 80


def invalid_item(schema: dict[str, Any], value: Any) -> str | None:
    """The upstream's own words for the first bad item of a list written as one string.

    A schema may say that its string is a list (``x-item-separator``, a regex) and how the
    upstream words a bad item (``x-invalid-item``, with ``{item}``): MusicBrainz answers
    ``foobar is not a valid inc parameter for the artist resource.`` for ``inc=foobar``,
    and its clients may read exactly that. The item is the first that fails the schema
    on its own (the pattern admits any single valid item).
    """
    template, separator = schema.get("x-invalid-item"), schema.get("x-item-separator")
    if not (isinstance(value, str) and template and separator):
        return None
    for item in re.split(separator, value.strip()):
        if item and first_error(schema, item) is not None:
            return str(template).replace("{item}", item[:_QUOTE_LIMIT])
    return None


_MISSING = object()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _unsafe_segment(name: str, value: Any) -> str | None:
    """What no path parameter may be, whatever its schema: a dot-segment (``.``, ``..``:
    clients and HTTP libraries resolve those, so the upstream would be asked for another
    path) or text with control characters (a ``\\n`` ends a pattern's ``$`` early)."""
    if not isinstance(value, str):
        return None
    if value in (".", ".."):
        return f"Path parameter '{name}' must not be {value!r}: a dot-segment is not a value"
    if _CONTROL.search(value):
        return f"Path parameter '{name}' must not contain control characters"
    return None


class ParameterValidator2020(ParameterValidator):
    """connexion's parameter validator on 2020-12, telling absent apart from ``null``."""

    def validate_query_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        return self._check("query", request.query_params.get(param["name"], _MISSING), param)

    def validate_path_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        value = request.path_params.get(param["name"], _MISSING)
        return _unsafe_segment(param["name"], value) or self._check("path", value, param)

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        raw = request.headers.get(param["name"])
        value = _MISSING if raw is None else coerce_scalar(raw, param.get("schema", {}))
        return self._check("header", value, param)

    def validate_cookie_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        raw = request.cookies.get(param["name"])
        value = _MISSING if raw is None else coerce_scalar(raw, param.get("schema", {}))
        return self._check("cookie", value, param)

    @staticmethod
    def _check(location: str, value: Any, param: dict[str, Any]) -> str | None:
        name = param["name"]
        if value is _MISSING:
            return f"Missing {location} parameter '{name}'" if param.get("required") else None
        schema = param.get("schema", {})
        error = first_error(schema, value)
        if error is None:
            return None
        return invalid_item(schema, value) or (
            f"{location.capitalize()} parameter '{name}': {describe(error)}"
        )


class JSONRequestBodyValidator2020(JSONRequestBodyValidator):
    """Request bodies on 2020-12."""

    @property
    def _validator(self) -> Draft202012Validator:
        return schema_validator(self._schema)

    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        """connexion's parse, but bytes that are not text are the client's error, not a 500."""
        data = b"".join([chunk async for chunk in stream])
        try:
            text = data.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail=f"Request body is not {self._encoding} text") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequestProblem(detail=f"Request body is not JSON: {exc}") from None
        except RecursionError:
            raise BadRequestProblem(detail="Request body nests too deeply.") from None
        except ValueError:  # e.g. an integer of thousands of digits
            raise BadRequestProblem(detail="Request body holds a number too long.") from None

    def _validate(self, body: Any) -> dict | None:
        if not self._nullable and body is None:
            raise BadRequestProblem(detail="Request body must not be empty")
        error = first_error(self._schema, body)
        if error is not None:
            raise BadRequestProblem(detail=f"Request body: {describe(error)}")
        return None


class JSONResponseBodyValidator2020(JSONResponseBodyValidator):
    """Response bodies on 2020-12: a gateway bug, reported as such."""

    @property
    def validator(self) -> Draft202012Validator:
        return schema_validator(self._schema)

    def _validate(self, body: Any) -> None:
        error = first_error(self._schema, body)
        if error is not None:
            raise NonConformingResponseBody(
                detail=f"Response body does not conform to the specification: {describe(error)}"
            )


class TextResponseBodyValidator2020(JSONResponseBodyValidator2020):
    _parse = TextResponseBodyValidator._parse


VALIDATOR_MAP_2020_12: dict[str, Any] = {
    "parameter": ParameterValidator2020,
    "body": MediaTypeDict(
        {
            "*/*json": JSONRequestBodyValidator2020,
            "application/x-www-form-urlencoded": FormDataValidator,
            "multipart/form-data": MultiPartFormDataValidator,
        }
    ),
    "response": MediaTypeDict(
        {
            "*/*json": JSONResponseBodyValidator2020,
            "text/plain": TextResponseBodyValidator2020,
        }
    ),
}
