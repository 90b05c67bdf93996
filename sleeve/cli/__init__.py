"""The ``sleeve`` command: ``serve`` runs the gateway, ``demo`` runs it in front of sample
upstreams, ``config`` shows the settings,
``cache purge`` drops cached answers, ``keys new`` makes a client key, ``images warm``
prefetches images, ``import acousticbrainz`` loads the AcousticBrainz dumps, ``openapi``
prints the contract.

One module per sub-command, each with ``add_parser(commands)``; the parser's ``run``
default takes the loaded settings and the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..config import ConfigError, load_settings
from . import cache, demo, import_acousticbrainz, keys, openapi, serve, show_config, warm

__all__ = ["main"]

COMMANDS = (serve, demo, show_config, cache, keys, warm, import_acousticbrainz, openapi)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config or os.environ.get("SLEEVE_CONFIG"), **_overrides(args))
    except ConfigError as exc:
        print(f"sleeve: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.run(settings, args)
    except KeyboardInterrupt:  # Ctrl-C: the command has stopped; no traceback
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    # The module docstring's first paragraph, less its reStructuredText literals: argparse
    # prints plain text.
    summary = (__doc__ or "").split("\n\n")[0].replace("``", "'")
    parser = argparse.ArgumentParser(prog="sleeve", description=summary)
    parser.add_argument("--version", action="version", version=f"sleeve {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    """``--host``/``--port``/``--workers`` given on the command line win over file and
    environment."""
    server = {
        key: value
        for key in ("host", "port", "workers")
        if (value := getattr(args, key, None)) is not None
    }
    return {"server": server} if server else {}
