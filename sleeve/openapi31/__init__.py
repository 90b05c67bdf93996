"""The bridge that lets connexion 3.3 run an OpenAPI 3.1 document as it is.

connexion 3.3 refuses ``openapi: 3.1.x`` at load time and validates with JSON Schema
draft 4 (connexion issue #1396; PR #1951 is unmerged). Bypassing the version check is not
enough: draft 4 ignores ``const``, reads ``exclusiveMinimum`` as a boolean, and a parameter
typed ``[integer, "null"]`` crashes connexion's type coercion with a 500. This package swaps
the four seams connexion exposes for that — the specification class, the URI parser, the
validator map and the handler-argument decorator — for JSON Schema 2020-12 versions. The
document is loaded as written (bundled from its files, see :mod:`.bundle`); nothing is
downgraded.

Pieces, one job each:

- :mod:`.bundle` joins the contract's files into one self-contained document.
- :mod:`.specification` loads and validates the 3.1 document (openapi-spec-validator).
- :mod:`.coercion` turns query/path strings into typed values the way 2020-12 types read.
- :mod:`.validators` validates parameters and JSON bodies with ``Draft202012Validator``.
- :mod:`.app` wires them into a connexion ``AsyncApp``.
"""

from __future__ import annotations

from .app import SpecFirstApp
from .bundle import BundleError, bundle
from .specification import OpenAPI31Specification, load_specification
from .validators import VALIDATOR_MAP_2020_12

__all__ = [
    "VALIDATOR_MAP_2020_12",
    "BundleError",
    "OpenAPI31Specification",
    "SpecFirstApp",
    "bundle",
    "load_specification",
]
