"""``sleeve openapi``: the contract as one self-contained JSON document, offline.

The same document a running gateway serves at ``/openapi.json`` (the bundle of
``openapi/sleeve.yaml`` and its parts), for SDK generators and contract tests that should
not need a gateway running: ``sleeve openapi > sleeve.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import Settings

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "openapi", help="print the bundled OpenAPI 3.1 contract (as served at /openapi.json)"
    )
    parser.add_argument("--output", "-o", help="write it to this file instead of stdout")
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    from ..app import SPEC_PATH
    from ..openapi31 import load_specification

    text = json.dumps(load_specification(SPEC_PATH).raw, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as output:
            output.write(text)
    else:
        sys.stdout.write(text)
    return 0
