"""``sleeve serve``: run the gateway in uvicorn, with the edge's bounds.

:func:`server_config` is the one place uvicorn is configured, used by ``sleeve serve`` and
by the tests' servers alike: forwarded headers believed only from ``server.trusted_proxies``
(uvicorn would believe them from 127.0.0.1), bounded request heads
(:mod:`sleeve.edge.http_protocol`), keep-alive and concurrency limits, and no access log of
uvicorn's own (``sleeve.access`` logs instead, with credentials redacted).

``--workers N`` (``server.workers``) runs uvicorn's supervisor: the parent binds the
socket and starts N spawned children, each of which receives the parent's settings (by
pickle, over the spawn pipe, so secrets never pass through the environment) and builds
its own app from them with :func:`worker_app`. What they share is in the backends: Redis,
or the embedded cache's SQLite file with the limits beside it (:func:`sleeve.app.
embedded_limits`). For prometheus-client's multiprocess mode the children get a fresh
``PROMETHEUS_MULTIPROC_DIR`` unless one is set, removed when the parent exits.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import uvicorn

from ..config import Settings
from ..edge.http_protocol import guarded_protocol

__all__ = ["METRICS_DIRECTORY", "add_parser", "run", "server_config", "worker_app"]

METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With several workers each line says whose it is.
WORKER_LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("serve", help="run the gateway (uvicorn)")
    parser.add_argument("--host", help="address to listen on (server.host)")
    parser.add_argument("--port", type=int, help="port to listen on (server.port)")
    parser.add_argument(
        "--workers", type=int, help="worker processes sharing the port (server.workers)"
    )
    parser.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    parser.set_defaults(run=run)
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    workers = settings.server.workers
    _configure_process(settings)
    if workers == 1:
        uvicorn.Server(server_config(worker_app(settings), settings)).run()
        return 0
    from uvicorn.supervisors import Multiprocess

    # A factory, not an app: each child calls it after the spawn.
    config = server_config(functools.partial(worker_app, settings), settings, factory=True)
    config.workers = workers
    with _metrics_directory():
        socket = config.bind_socket()
        try:
            Multiprocess(config, sockets=[socket]).run()
        finally:
            socket.close()
    return 0


def worker_app(settings: Settings) -> Any:
    """The gateway for ``settings``, in this process: the one worker, or one of many."""
    _configure_process(settings)
    from ..app import create_app

    return create_app(settings)


def _configure_process(settings: Settings) -> None:
    """Logging and warnings, set again in each spawned child (it starts afresh)."""
    # connexion 3.3 imports starlette's test client at import time, which warns about
    # httpx on every start; it is not used here, so the warning is only noise.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    level = settings.server.log_level
    many = settings.server.workers > 1
    logging.basicConfig(level=level.upper(), format=WORKER_LOG_FORMAT if many else LOG_FORMAT)


@contextlib.contextmanager
def _metrics_directory() -> Iterator[None]:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` for the children, unless the operator set one
    (then it is theirs to keep); removed on the way out."""
    if os.environ.get(METRICS_DIRECTORY):
        yield
        return
    directory = tempfile.mkdtemp(prefix="sleeve-metrics-")
    os.environ[METRICS_DIRECTORY] = directory
    try:
        yield
    finally:
        del os.environ[METRICS_DIRECTORY]
        shutil.rmtree(directory, ignore_errors=True)


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
