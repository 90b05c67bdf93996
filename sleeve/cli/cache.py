"""``sleeve cache purge PATH``: drop the cached answers for an upstream path, in the
configured store directly (no running gateway needed)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from ..backends import StoreUnavailable
from ..config import Settings

__all__ = ["add_parser", "run_purge"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    cache = commands.add_parser("cache", help="work on the configured cache directly")
    actions = cache.add_subparsers(required=True, metavar="ACTION")
    purge = actions.add_parser("purge", help="drop the cached answers for an upstream path")
    purge.add_argument("path", help="an upstream path such as /artists/1")
    purge.add_argument("--prefix", action="store_true", help="also every path under it")
    purge.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    purge.set_defaults(run=run_purge)
    return cache


def run_purge(settings: Settings, args: argparse.Namespace) -> int:
    if not args.path.startswith("/"):
        print("sleeve: the path must start with '/', e.g. /artists/1", file=sys.stderr)
        return 2
    try:
        purged = asyncio.run(_purge(settings, args.path, whole_subtree=args.prefix))
    except StoreUnavailable as exc:
        print(f"sleeve: the cache store is unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"purged {purged} cached answer(s)")
    return 0


async def _purge(settings: Settings, path: str, *, whole_subtree: bool) -> int:
    from ..app import open_store
    from ..cache.keys import path_key_prefixes

    store = open_store(settings.cache)
    try:
        prefixes = path_key_prefixes(path, whole_subtree=whole_subtree)
        return sum([await store.purge_prefix(prefix) for prefix in prefixes])
    finally:
        await store.close()
