"""``sleeve import acousticbrainz PATH…``: load AcousticBrainz dumps into the archive.

:func:`add_parser` registers the command on ``sleeve``'s sub-command parsers;
``sleeve``'s ``main`` then calls the ``run`` it sets with the loaded settings. Run as
``python -m sleeve.cli.import_acousticbrainz import acousticbrainz …`` it works without
them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..acousticbrainz.importer import import_dumps
from ..acousticbrainz.store import FeatureStore
from ..config import AcousticBrainzSettings

__all__ = ["add_parser", "default_store_path", "main", "run"]


def default_store_path() -> Path:
    """Where the archive lives unless configured (``acousticbrainz.path``)."""
    return AcousticBrainzSettings().path


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``import acousticbrainz PATH… [--db PATH] [--no-progress]`` to ``subparsers``."""
    importing = subparsers.add_parser("import", help="load data sets into sleeve")
    sources = importing.add_subparsers(required=True, metavar="SOURCE")
    command = sources.add_parser(
        "acousticbrainz",
        help="AcousticBrainz data dumps (.tar.zst, .tar or folders of {mbid}-{n}.json)",
        description="Import AcousticBrainz dumps; a killed import resumes where it stopped.",
    )
    command.add_argument("paths", nargs="+", metavar="PATH", help="dump archives or folders")
    command.add_argument(
        "--db", help="the archive file (default: acousticbrainz.path, else " +
        f"{default_store_path()})",
    )  # fmt: skip
    command.add_argument("--no-progress", action="store_true", help="no progress bar")
    command.add_argument("--batch", type=int, default=1000, help="files per transaction")
    command.add_argument("--config", help="YAML config file (or SLEEVE_CONFIG)")
    command.set_defaults(run=_run_with_settings)
    return command


def run(args: argparse.Namespace) -> int:
    """Import ``args.paths`` into ``args.db``; print the summary. 0 when every dump was
    read to its end (bad files are reported, not fatal), 1 otherwise."""
    if args.batch < 1:
        print("sleeve: --batch must be at least 1", file=sys.stderr)
        return 2
    store = FeatureStore(args.db or default_store_path())
    summary = import_dumps(args.paths, store, progress=not args.no_progress, batch_files=args.batch)
    for line in summary.lines():
        print(line)
    return 1 if summary.errors else 0


def _run_with_settings(settings: Any, args: argparse.Namespace) -> int:
    """The ``run`` that ``sleeve``'s main calls: ``--db`` defaults to the configured path."""
    if not args.db:
        configured = getattr(getattr(settings, "acousticbrainz", None), "path", None)
        args.db = str(configured) if configured else None
    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sleeve", description="Import AcousticBrainz dumps.")
    add_parser(parser.add_subparsers(required=True, metavar="COMMAND"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
