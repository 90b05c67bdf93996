"""``sleeve serve``: run the gateway in uvicorn."""

from __future__ import annotations

import argparse
import logging
import warnings
from typing import Any

import uvicorn

from ..config import Settings

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("serve", help="run the gateway (uvicorn)")
    parser.add_argument("--host", help="address to listen on (server.host)")
    parser.add_argument("--port", type=int, help="port to listen on (server.port)")
    parser.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    parser.set_defaults(run=run)
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    # connexion 3.3 imports starlette's test client at import time, which warns about
    # httpx on every start; it is not used here, so the warning is only noise.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from ..app import create_app

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
