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
import gc
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from ..config import Settings
from ..edge.http_protocol import guarded_protocol
from ..observability.logs import configure_logging

__all__ = ["METRICS_DIRECTORY", "add_parser", "run", "server_config", "worker_app"]

METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


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
    """Serve until stopped; exit status 3 (uvicorn's) when the gateway could not start, so
    that a supervisor such as systemd's ``Restart=on-failure`` sees a failure."""
    workers = settings.server.workers
    _configure_process(settings)
    if workers == 1:
        # uvicorn's loggers reach the root's handler (text or JSON), not a format of their own
        server = uvicorn.Server(server_config(worker_app(settings), settings, log_config=None))
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    # A factory, not an app: each child calls it after the spawn.
    factory = functools.partial(_spawned_worker_app, settings)
    config = server_config(factory, settings, factory=True, log_config=None)
    with _metrics_directory():
        socket = config.bind_socket()
        try:
            supervisor = Multiprocess(config, sockets=[socket])
            supervisor.run()
        finally:
            socket.close()
    failed = [p for p in supervisor.processes if p.exitcode == STARTUP_FAILURE]
    return STARTUP_FAILURE if failed else 0


def worker_app(settings: Settings) -> Any:
    """The gateway for ``settings``, in this process: the one worker, or one of many."""
    _configure_process(settings)
    from ..app import create_app

    app = create_app(settings)
    # What was built so far (the contract, its validators, the routes) lives as long as
    # the process: out of the collector's sight, a full collection has little to walk.
    gc.collect()
    gc.freeze()
    return app


def _spawned_worker_app(settings: Settings) -> Any:
    """:func:`worker_app` in a spawned child: a failure to build the app is a start-up
    failure, which stops the supervisor; any other exit status makes it spawn the same
    failing worker again, forever."""
    try:
        return worker_app(settings)
    except Exception:
        logging.getLogger("sleeve").exception("the worker could not start")
        raise SystemExit(STARTUP_FAILURE) from None


def _configure_process(settings: Settings) -> None:
    """Logging, set again in each spawned child (it starts afresh); with several workers
    each line says whose it is."""
    server = settings.server
    configure_logging(server.log_level, server.log_format, process=server.workers > 1)


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
        "workers": server.workers,  # more than one: a factory for Multiprocess to spawn
        "timeout_keep_alive": server.keep_alive,
        "limit_concurrency": server.max_connections,
    }
    return uvicorn.Config(app, **(options | overrides))
