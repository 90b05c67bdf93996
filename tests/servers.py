"""Running the gateway for tests: a real uvicorn server on 127.0.0.1, in a thread.

Tests then talk to it over real HTTP, exactly as clients will, with any client library.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from sleeve.app import create_app
from sleeve.cli.serve import server_config
from sleeve.config import Settings, load_settings, merge_into
from tests.cache.redis_server import free_port

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


@contextmanager
def serving(
    app: Any, *, timeout: float = 10.0, config: uvicorn.Config | None = None
) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 (with ``config``, uvicorn's settings for
    it, if given); yields its base URL."""
    if config is None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def gateway_settings(discogs_url: str, **overrides: Any) -> Settings:
    """Settings for a gateway in front of an emulator, validating its own answers."""
    values: dict[str, Any] = {
        "server": {"validate_responses": True},
        "upstreams": {
            "discogs": {
                "base_url": discogs_url,
                "token": "emulator-token",
                "timeout": 3.0,
                "connect_timeout": 1.0,
                # Limits far above what the tests send, unless a test is about limits.
                "rate_limit": 1_000_000,
                "anonymous_rate_limit": 1_000_000,
            },
            # Never the real services: a closed port, unless a test brings an emulator.
            "musicbrainz": {"base_url": f"{CLOSED}/ws/2", "rate_limit": 1_000_000},
            "coverartarchive": {"base_url": CLOSED, "rate_limit": 1_000_000},
            "itunes": {"base_url": CLOSED, "rate_limit": 1_000_000},
            "spotify": {"base_url": CLOSED, "rate_limit": 1_000_000},
            "tidal": {"base_url": CLOSED, "rate_limit": 1_000_000},
        },
        "clients": {"anonymous_limit": 1_000_000, "limit": 1_000_000},
    }
    merge_into(values, overrides)
    for upstream in values["upstreams"].values():
        if str(upstream.get("base_url", "")).startswith(CLOSED):
            upstream.setdefault("attempts", 1)  # nothing will ever answer: no retries
    return load_settings(**values)


@contextmanager
def gateway(discogs_url: str, *, hit_front: bool = True, **overrides: Any) -> Iterator[str]:
    """A running gateway in front of ``discogs_url``; yields its base URL.

    Unless ``cache``/``images``/``acousticbrainz`` settings say otherwise, it gets an
    embedded cache, an image store and an AcousticBrainz archive of its own in a temporary
    directory, gone afterwards. ``hit_front=False`` hides the app's hit front from the
    server, as any other server than ``sleeve serve``'s would: hits go the ASGI way.
    """
    with tempfile.TemporaryDirectory(prefix="sleeve-cache-") as directory:
        cache = {"path": str(pathlib.Path(directory) / "cache.db")}
        merge_into(cache, overrides.pop("cache", {}))
        images = {"path": str(pathlib.Path(directory) / "images")}
        merge_into(images, overrides.pop("images", {}))
        archive = {"path": str(pathlib.Path(directory) / "acousticbrainz.db")}
        merge_into(archive, overrides.pop("acousticbrainz", {}))
        settings = gateway_settings(
            discogs_url, cache=cache, images=images, acousticbrainz=archive, **overrides
        )
        app = create_app(settings)
        if not hit_front:
            app = _without_front(app)
        # The server as `sleeve serve` configures it (bounds, forwarded headers), on port 0.
        config = server_config(app, settings, host="127.0.0.1", port=0, log_level="warning")
        with serving(app, config=config) as url:
            yield url


def _without_front(app: Any) -> Any:
    async def plain(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)

    return plain


@contextmanager
def gateway_process(
    discogs_url: str, redis_url: str, log: pathlib.Path, **environment: str
) -> Iterator[str]:
    """``sleeve serve`` in a process of its own sharing ``redis_url``, as an operator would
    run several; ``environment`` adds ``SLEEVE_…`` settings. Yields its base URL."""
    with gateway_processes(discogs_url, redis_url, [log], **environment) as (url,):
        yield url


@contextmanager
def gateway_processes(
    discogs_url: str, redis_url: str, logs: Sequence[pathlib.Path], **environment: str
) -> Iterator[list[str]]:
    """One ``sleeve serve`` process per log file, all sharing ``redis_url`` and
    ``environment``; yields their base URLs in the order of ``logs``.

    They start at once: each spends a few seconds importing and loading the contract,
    and nothing makes one wait for another.
    """
    started: list[tuple[subprocess.Popen[bytes], str, pathlib.Path]] = []
    ports: set[int] = set()
    while len(ports) < len(logs):  # none has bound its port yet: ask until all differ
        ports.add(free_port())
    try:
        for log, port in zip(logs, sorted(ports), strict=True):
            started.append(_start_gateway(discogs_url, redis_url, log, port, environment))
        for process, url, log in started:
            _wait_until_healthy(url, process, log)
        yield [url for _, url, _ in started]
    finally:
        _stop(process for process, _, _ in started)


def _stop(processes: Iterable[subprocess.Popen[bytes]], bound: float = 30.0) -> None:
    """SIGTERM each, then wait for each: a bound, not a measure (a loaded machine can
    take seconds to run a lifespan's shutdown). One that outlives it is killed, so that no
    stray gateway is left to disturb the tests after, and the test fails saying so."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    stuck = []
    for process in processes:
        try:
            process.wait(bound)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            stuck.append(process.args)
    assert not stuck, f"sleeve serve did not stop within {bound} s of SIGTERM: {stuck}"


def _start_gateway(
    discogs_url: str, redis_url: str, log: pathlib.Path, port: int, environment: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str, pathlib.Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    env.update(
        {
            "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": discogs_url,
            "SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "emulator-token",
            "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": "1000000",
            "SLEEVE_CLIENTS__ANONYMOUS_LIMIT": "1000000",
            "SLEEVE_CACHE__BACKEND": "redis",
            "SLEEVE_CACHE__REDIS_URL": redis_url,
            "SLEEVE_SERVER__VALIDATE_RESPONSES": "true",
            "SLEEVE_SERVER__LOG_LEVEL": "warning",
            "SLEEVE_IMAGES__PATH": str(log.parent / f"{log.stem}-images"),
            "SLEEVE_ACOUSTICBRAINZ__PATH": str(log.parent / f"{log.stem}-acousticbrainz.db"),
            # Never the real services: a closed port, unless a test brings an emulator
            # (as gateway_settings does for a gateway in this process).
            "SLEEVE_UPSTREAMS__MUSICBRAINZ__BASE_URL": f"{CLOSED}/ws/2",
            "SLEEVE_UPSTREAMS__MUSICBRAINZ__RATE_LIMIT": "1000000",
            "SLEEVE_UPSTREAMS__COVERARTARCHIVE__BASE_URL": CLOSED,
            "SLEEVE_UPSTREAMS__COVERARTARCHIVE__RATE_LIMIT": "1000000",
            **environment,
        }
    )
    for upstream in ("MUSICBRAINZ", "COVERARTARCHIVE"):
        if env[f"SLEEVE_UPSTREAMS__{upstream}__BASE_URL"].startswith(CLOSED):
            env.setdefault(f"SLEEVE_UPSTREAMS__{upstream}__ATTEMPTS", "1")  # nothing answers
    with log.open("wb") as output:  # a file, not a pipe nobody drains
        process = subprocess.Popen(
            [sys.executable, "-m", "sleeve", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}", log


# Starting takes a few seconds, several at once on a loaded machine more: this only turns a
# gateway that never comes up into a failure with its log.
START_GUARD = 60.0  # seconds


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: pathlib.Path) -> None:
    deadline = time.monotonic() + START_GUARD
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/_sleeve/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"gateway did not start: {log.read_text()}")
