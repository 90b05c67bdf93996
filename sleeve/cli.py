"""The ``sleeve`` command: ``serve`` runs the gateway, ``config`` shows the settings,
``cache purge`` drops cached answers, ``keys new`` makes a client key, ``images warm``
prefetches images, ``import acousticbrainz`` loads the AcousticBrainz dumps."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
import warnings
from collections.abc import Sequence

import uvicorn

from . import __version__
from .acousticbrainz.cli import add_import_parser
from .config import ConfigError, Settings, load_settings, masked_dump
from .images.warm_cli import add_warm_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config or os.environ.get("SLEEVE_CONFIG"), **_overrides(args))
    except ConfigError as exc:
        print(f"sleeve: {exc}", file=sys.stderr)
        return 2
    result: int = args.run(settings, args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sleeve", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sleeve {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway (uvicorn)")
    serve.add_argument("--host", help="address to listen on (server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (server.port)")
    serve.set_defaults(run=_serve)

    show = commands.add_parser("config", help="print the effective config, secrets masked")
    show.set_defaults(run=_show_config)

    cache = commands.add_parser("cache", help="work on the configured cache directly")
    actions = cache.add_subparsers(required=True, metavar="ACTION")
    purge = actions.add_parser("purge", help="drop the cached answers for an upstream path")
    purge.add_argument("path", help="an upstream path such as /artists/1")
    purge.add_argument("--prefix", action="store_true", help="also every path under it")
    purge.set_defaults(run=_purge)

    keys = commands.add_parser("keys", help="client keys")
    key_actions = keys.add_subparsers(required=True, metavar="ACTION")
    new_key = key_actions.add_parser("new", help="make a key; prints it once, and its config entry")
    new_key.add_argument("name", help="who the key is for (letters, digits, . _ -)")
    new_key.add_argument("--limit", type=int, help="requests per window (default clients.limit)")
    new_key.set_defaults(run=_new_key)

    for command in (serve, show, purge, new_key):
        command.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    add_warm_parser(commands)  # images warm FILE
    add_import_parser(commands)  # import acousticbrainz PATH…
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    server = {
        key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None
    }
    return {"server": server} if server else {}


def _serve(settings: Settings, args: argparse.Namespace) -> int:
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


def _show_config(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(masked_dump(settings), indent=2))
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    if not args.path.startswith("/"):
        print("sleeve: the path must start with '/', e.g. /artists/1", file=sys.stderr)
        return 2
    from .app import open_store
    from .cache.keys import path_key_prefixes
    from .cache.store import StoreUnavailable

    async def purge() -> int:
        store = open_store(settings.cache)
        try:
            prefixes = path_key_prefixes(args.path, whole_subtree=args.prefix)
            return sum([await store.purge_prefix(prefix) for prefix in prefixes])
        finally:
            await store.close()

    try:
        purged = asyncio.run(purge())
    except StoreUnavailable as exc:
        print(f"sleeve: the cache store is unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"purged {purged} cached answer(s)")
    return 0


def _new_key(settings: Settings, args: argparse.Namespace) -> int:
    """Only the key's SHA-256 goes in the config: a leaked config leaks no key."""
    from .clients import key_digest

    key = secrets.token_urlsafe(32)
    entry = {"name": args.name, "sha256": key_digest(key)}
    if args.limit:
        entry["limit"] = args.limit
    print(f"key for {args.name} (shown once; give it to the client as X-Sleeve-Key):\n  {key}")
    print("add to the config file under clients.keys:")
    print("  - " + json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
