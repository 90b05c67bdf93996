"""``sleeve config``: the effective settings (file, environment, defaults), secrets masked."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..config import Settings, masked_dump

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("config", help="print the effective config, secrets masked")
    parser.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    parser.set_defaults(run=run)
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(masked_dump(settings), indent=2))
    return 0
