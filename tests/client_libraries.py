"""The real client libraries some tests drive sleeve with (python3-discogs-client,
musicbrainzngs, beets, openapi-python-client) come with the ``clients`` extra, not with
``test``: beets alone brings numpy. Without them, the tests that need one skip, saying
which library is missing and how to get it; every other test still runs.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

INSTALL = "pip install -e '.[test,clients]'"


def require(module: str, distribution: str | None = None) -> ModuleType:
    """``module``, or skip: at module level, the whole file; in a fixture or a test, those."""
    return pytest.importorskip(
        module, reason=f"{distribution or module} is not installed (the clients extra: {INSTALL})"
    )


def optional(module: str) -> ModuleType | None:
    """``module`` if installed, for files whose other tests need none: the tests that use
    it call :func:`require` (usually through a fixture) before they do."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None
