"""``sleeve keys new NAME``: make a client key, print it once, and its config entry.

Only the key's SHA-256 goes in the config: a leaked config leaks no key.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import Any

from pydantic import ValidationError

from ..config import ClientKeySettings, Settings, problems
from ..governance.clients import key_digest

__all__ = ["add_parser", "run_new"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    keys = commands.add_parser("keys", help="client keys")
    actions = keys.add_subparsers(required=True, metavar="ACTION")
    new = actions.add_parser("new", help="make a key; prints it once, and its config entry")
    new.add_argument("name", help="who the key is for (letters, digits, . _ -)")
    new.add_argument("--limit", type=int, help="requests per window (default clients.limit)")
    new.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    new.set_defaults(run=run_new)
    return keys


def run_new(settings: Settings, args: argparse.Namespace) -> int:
    key = secrets.token_urlsafe(32)
    entry: dict[str, Any] = {"name": args.name, "sha256": key_digest(key)}
    if args.limit is not None:
        entry["limit"] = args.limit
    try:
        # The config's own model: an entry printed here is one start-up accepts.
        ClientKeySettings(**entry)
    except ValidationError as exc:
        print(f"sleeve: {'; '.join(problems(exc))}", file=sys.stderr)
        return 2
    print(f"key for {args.name} (shown once; give it to the client as X-Sleeve-Key):\n  {key}")
    print("add to the config file under clients.keys:")
    print("  - " + json.dumps(entry))
    return 0
