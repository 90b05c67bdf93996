"""Every module's ``__all__`` says what it gives others (the invariant of httpx's
``tests/test_exported_members.py``): each listed name exists, and each public class or
function the module defines is listed."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import sleeve


def _modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(sleeve.__path__, "sleeve.")]
    loaded = [importlib.import_module(name) for name in names if not name.endswith("__main__")]
    return [module for module in loaded if hasattr(module, "__all__")]


MODULES = _modules()


def test_the_modules_that_say_what_they_export_are_many() -> None:
    assert len(MODULES) > 40  # the walk found the tree, not an empty package


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_all_lists_every_public_definition_and_nothing_else(module: ModuleType) -> None:
    exported = set(module.__all__)
    assert not {name for name in exported if not hasattr(module, name)}, "listed, not there"
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined <= exported, f"defined here, not in __all__: {sorted(defined - exported)}"
