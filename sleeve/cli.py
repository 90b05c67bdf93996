"""The ``sleeve`` command: ``sleeve serve`` runs the gateway, ``sleeve config`` shows settings."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence

import uvicorn

from . import __version__
from .config import ConfigError, Settings, load_settings, masked_dump


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config or os.environ.get("SLEEVE_CONFIG"), **_overrides(args))
    except ConfigError as exc:
        print(f"sleeve: {exc}", file=sys.stderr)
        return 2
    return args.run(settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sleeve", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sleeve {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway (uvicorn)")
    serve.add_argument("--host", help="address to listen on (server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (server.port)")
    serve.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    serve.set_defaults(run=_serve)

    show = commands.add_parser("config", help="print the effective config, secrets masked")
    show.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    show.set_defaults(run=_show_config, host=None, port=None)
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    server = {key: value for key in ("host", "port") if (value := getattr(args, key)) is not None}
    return {"server": server} if server else {}


def _serve(settings: Settings) -> int:
    # connexion 3.3 imports starlette's test client at import time, which warns about
    # httpx on every start; it is not used here, so the warning is only noise.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from .app import create_app

    level = settings.server.log_level
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_level=level,
        access_log=False,  # sleeve.access logs instead, with credentials redacted
        lifespan="on",
    )
    return 0


def _show_config(settings: Settings) -> int:
    print(json.dumps(masked_dump(settings), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
