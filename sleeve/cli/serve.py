"""``sleeve serve``: run the gateway in uvicorn, with the edge's bounds.

:func:`server_config` is the one place uvicorn is configured, used by ``sleeve serve`` and
by the tests' servers alike: forwarded headers believed only from ``server.trusted_proxies``
(uvicorn would believe them from 127.0.0.1), bounded request heads
(:mod:`sleeve.edge.http_protocol`), keep-alive and concurrency limits, and no access log of
uvicorn's own (``sleeve.access`` logs instead, with credentials redacted).
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import uvicorn

from ..config import Settings
from ..edge.http_protocol import guarded_protocol
from ..observability.logs import configure_logging

__all__ = ["add_parser", "run", "server_config"]


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

    configure_logging(settings.server.log_level, settings.server.log_format)
    # uvicorn's loggers reach the root's handler (text or JSON), not a format of their own.
    config = server_config(create_app(settings), settings, log_config=None)
    uvicorn.Server(config).run()
    return 0


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """uvicorn's settings for ``app`` as ``settings.server`` says; ``overrides`` win."""
    server = settings.server
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "log_level": server.log_level,
        "access_log": False,
        "lifespan": "on",
        "proxy_headers": bool(server.trusted_proxies),
        "forwarded_allow_ips": list(server.trusted_proxies) or None,
        "http": guarded_protocol(
            max_head_bytes=server.max_head_bytes, head_timeout=server.head_timeout
        ),
        "timeout_keep_alive": server.keep_alive,
        "limit_concurrency": server.max_connections,
    }
    return uvicorn.Config(app, **(options | overrides))
