"""From the contract to the code by name: every operationId has one ``def`` of its
snake_case name in a handler class, and every public handler method is an operation.

A newcomer reading ``lookupReleaseGroup`` in the document searches for
``def lookup_release_group`` and lands on it: no generated methods, no aliases.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
import sleeve.handlers
from sleeve.handlers import handler_name

from sleeve.app import SPEC_PATH
from sleeve.openapi31 import load_specification

OPERATIONS: dict[str, tuple[str, str]] = {
    operation["operationId"]: (method.upper(), path)
    for path, item in load_specification(SPEC_PATH).raw["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "operationId" in operation
}


def _handler_classes() -> list[type]:
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(sleeve.handlers.__path__, "sleeve.handlers.")
    ]
    return [
        cls
        for module in modules
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and name.endswith("Handlers") and cls.__module__ == module.__name__
    ]


HANDLER_CLASSES = _handler_classes()


def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def test_every_handler_module_was_found() -> None:
    assert len(HANDLER_CLASSES) >= 9
    assert len(OPERATIONS) >= 95


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_each_operation_has_one_def_of_its_name(operation_id: str) -> None:
    name = handler_name(operation_id)
    found = [cls for cls in HANDLER_CLASSES if name in vars(cls)]
    assert len(found) == 1, f"{operation_id} {OPERATIONS[operation_id]}: handlers {found}"
    function = vars(found[0])[name]
    assert inspect.iscoroutinefunction(function)
    assert function.__name__ == name, f"{name} is an alias of {function.__name__}"
    source = inspect.getsource(found[0])
    assert f"async def {name}(" in source


def test_every_public_handler_method_is_an_operation() -> None:
    names = {handler_name(operation_id) for operation_id in OPERATIONS}
    orphans = [
        f"{cls.__name__}.{name}"
        for cls in HANDLER_CLASSES
        for name in _public_methods(cls)
        if name not in names
    ]
    assert orphans == []
