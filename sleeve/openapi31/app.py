"""A connexion ``AsyncApp`` that runs an OpenAPI 3.1 document with 2020-12 semantics.

The seams used here are connexion 3.3's own (``uri_parser_class``, ``validator_map``,
the ``api_cls`` of its ASGI app and the parameter decorator of its operations); the one
reach past its public surface is :meth:`SpecFirstApp.add_api`, because connexion's
``add_api`` insists on loading the document itself with its 3.0 rules.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import operation, receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import (
    AsyncParameterDecorator,
    inspect_function_arguments,
    unwrap_decorators,
)
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.main import API
from connexion.uri_parsing import OpenAPIURIParser

from .coercion import coerce_scalar, schema_types
from .specification import OpenAPI31Specification
from .validators import VALIDATOR_MAP_2020_12

Handler = Callable[..., Awaitable[Any]]


class URIParser2020(OpenAPIURIParser):
    """Query and path values typed by their 2020-12 schema (type arrays, ``const``, ``null``)."""

    def resolve_params(self, params: dict[str, Any], _in: str) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for name, values in params.items():
            definition = self.param_defns.get(name)
            if definition is None:
                resolved[name] = values  # undeclared: strict validation reports it
                continue
            schema = definition.get("schema", {})
            texts = [values] if _in == "path" else values
            if "array" in schema_types(schema):
                items = (
                    texts
                    if _exploded_query(definition, _in)
                    else self._split(
                        self._resolve_param_duplicates(texts, definition, _in), definition, _in
                    )
                )
                resolved[name] = [coerce_scalar(item, schema.get("items", {})) for item in items]
            else:
                resolved[name] = coerce_scalar(texts[-1], schema)
        return resolved


def _exploded_query(definition: dict[str, Any], where: str) -> bool:
    """Form style, exploded (a query array's default): one item per occurrence, commas and
    all. connexion joins the occurrences with commas and splits them again, which breaks
    an item holding a comma (a URL, say)."""
    return (
        where == "query"
        and definition.get("style", "form") == "form"
        and definition.get("explode", True)
    )


class ParameterBinder(AsyncParameterDecorator):
    """Calls a handler with the request's already typed and validated parameters.

    Keyword arguments are bound by name: the path and query parameters the document
    declares (query defaults filled in), ``body`` for a JSON request body, and ``request``
    for the request itself. A handler taking ``**kwargs`` gets every declared parameter,
    never an undeclared one. connexion's own binder re-coerces by ``type`` and fails on
    type arrays.
    """

    def __call__(self, function: Handler) -> Handler:
        names, takes_kwargs = inspect_function_arguments(unwrap_decorators(function))
        wanted = None if takes_kwargs else set(names)

        @functools.wraps(function)
        async def bound(request: ConnexionRequest) -> Any:
            declared = operation.parameters
            kwargs = _query_defaults(declared)
            kwargs.update(_declared(request.query_params, declared, "query"))
            kwargs.update(_declared(request.path_params, declared, "path"))
            kwargs = {self.sanitize_fn(key): value for key, value in kwargs.items()}
            if wanted is not None and "body" in wanted:
                kwargs["body"] = await request.get_body()
            if wanted is None or "request" in wanted:
                kwargs["request"] = request
            if wanted is not None:
                kwargs = {key: value for key, value in kwargs.items() if key in wanted}
            return await function(**kwargs)

        return bound


def _declared(
    values: dict[str, Any], parameters: list[dict[str, Any]], where: str
) -> dict[str, Any]:
    names = {parameter["name"] for parameter in parameters if parameter["in"] == where}
    return {name: value for name, value in values.items() if name in names}


def _query_defaults(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        parameter["name"]: parameter["schema"]["default"]
        for parameter in parameters
        if parameter["in"] == "query" and "default" in parameter.get("schema", {})
    }


class _Decorator(StarletteDecorator):
    """connexion's Starlette decorator, binding with :class:`ParameterBinder`, built once.

    connexion rebuilds the decorator chain on every request; here it is built once per
    operation and only the request object is made per call.
    """

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return ParameterBinder

    def __call__(self, function: Handler) -> Handler:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = self.framework.get_request(
                uri_parser=self.uri_parser, scope=scope, receive=receive
            )
            return await decorated(request)

        return wrapper


class _Operation(AsyncOperation):
    @functools.cached_property
    def fn(self) -> Handler:
        decorator = _Decorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(self._fn)


class _Api(AsyncApi):
    def make_operation(self, operation: Any) -> _Operation:
        return _Operation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class _ASGIApp(AsyncASGIApp):
    api_cls = _Api


class SpecFirstApp(AsyncApp):
    """An ``AsyncApp`` whose APIs are OpenAPI 3.1 documents validated with 2020-12."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        kwargs.setdefault("uri_parser_class", URIParser2020)
        kwargs.setdefault("validator_map", VALIDATOR_MAP_2020_12)
        super().__init__(import_name, **kwargs)
        self._middleware_app = _ASGIApp()
        self.middleware.app = self._middleware_app

    def add_api(self, specification: OpenAPI31Specification, **options: Any) -> None:  # type: ignore[override]
        """Register an already loaded 3.1 document (see :func:`load_specification`)."""
        if not isinstance(specification, OpenAPI31Specification):
            raise TypeError("SpecFirstApp.add_api takes an OpenAPI31Specification")
        middleware = self.middleware
        if middleware.middleware_stack is not None:
            raise RuntimeError("Cannot add an API after the application has started")
        merged = middleware.options.replace(**options)
        middleware.apis.append(API(specification, base_path=None, **merged.__dict__))
