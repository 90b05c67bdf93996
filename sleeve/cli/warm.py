"""``sleeve images warm FILE``: prefill the image store through a running gateway.

Wired into ``sleeve`` by :func:`add_parser`; :func:`run` does the work, so it can be
called with parsed arguments directly. The logic lives in :mod:`.warming` (a client of
the gateway, not part of it); this module is the command line around it: options, the
progress bar, the summary and the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import aiohttp

from .. import __version__
from .warming import WarmError, WarmPolicy, WarmTally, read_id_file, warm

KEY_ENVIRONMENT = "SLEEVE_CLIENT_KEY"
DEFAULT_URL = "http://127.0.0.1:8080"

# Exit statuses: scripts (cron) can tell "come back tomorrow" from "something is wrong".
DONE = 0  # every id stored or known to have no image
FAILED = 1  # some ids failed (tried again on the next run), or the run could not go on
USAGE = 2  # bad options, no key, unreadable file (argparse uses 2 as well)
BUDGET = 3  # --no-wait, and the warm share of the image budget is spent: run again later
INTERRUPTED = 130  # Ctrl-C or SIGTERM; progress so far is kept


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``images warm FILE`` on ``sleeve``'s command subparsers; returns ``warm``.

    Its ``run`` default takes ``(settings, args)`` like sleeve's other commands, and only
    uses the settings for the default ``--url`` (the configured host and port).
    """
    images = subparsers.add_parser("images", help="the image store")
    actions = images.add_subparsers(required=True, metavar="ACTION")
    parser = actions.add_parser(
        "warm",
        help="prefetch the images of a list of release ids through a running gateway",
        description=(
            "Ask a running gateway for the primary image of each Discogs release id in FILE "
            "(one a line; blank lines and # comments allowed), spending at most --share of "
            "its daily image budget so that clients keep the rest. Progress is kept in a "
            "state file: run it again to resume."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="release ids, one a line")
    parser.add_argument(
        "--url", help=f"the gateway's base URL (default: from the config, or {DEFAULT_URL})"
    )
    parser.add_argument(
        "--key", help=f"a client key (X-Sleeve-Key); default: ${KEY_ENVIRONMENT}, kept out of ps"
    )
    parser.add_argument(
        "--share",
        type=_fraction,
        default=0.5,
        help="the part of the daily image budget warming may use (default 0.5)",
    )
    parser.add_argument(
        "--rate",
        type=_positive,
        default=1.0,
        help="gateway requests per second; each id is a budget read and an image (default 1)",
    )
    parser.add_argument("--state", help="the state file (default: FILE.warm-state)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="stop (exit status 3) when the share is spent, instead of waiting for it",
    )
    parser.add_argument(
        "--config", help="YAML config file (or SLEEVE_CONFIG), for the default --url"
    )
    parser.set_defaults(run=_run_with_settings)
    return parser


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1, not {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _run_with_settings(settings: Any, args: argparse.Namespace) -> int:
    """``sleeve``'s calling convention; the configured server is the default gateway."""
    if not args.url:
        server = settings.server
        host = "127.0.0.1" if server.host in ("0.0.0.0", "::", "") else server.host
        args.url = str(server.public_url or "") or f"http://{host}:{server.port}"
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Warm the ids of ``args.file``; prints a summary and returns the exit status."""
    key = args.key or os.environ.get(KEY_ENVIRONMENT)
    if not key:
        return _usage(f"a client key is needed: --key, or ${KEY_ENVIRONMENT}")
    try:
        listed = read_id_file(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        return _usage(f"cannot read {args.file}: {exc}")
    for bad in listed.bad:
        print(f"{args.file}:{bad.number}: not a release id, skipped: {bad.text!r}", file=sys.stderr)
    tally = WarmTally(total=len(listed.ids))
    progress = _Progress(enabled=not args.no_progress and sys.stderr.isatty())
    status = DONE
    try:
        asyncio.run(_warm(args, key, listed.ids, tally, progress))
    except (KeyboardInterrupt, asyncio.CancelledError):
        tally.stopped, status = "interrupted; run again to resume", INTERRUPTED
    except WarmError as exc:
        tally.stopped, status = str(exc), FAILED
    finally:
        progress.close()
    _summarise(args, tally, len(listed.bad))
    return status or _status(tally)


def _usage(message: str) -> int:
    print(f"sleeve images warm: {message}", file=sys.stderr)
    return USAGE


async def _warm(
    args: argparse.Namespace, key: str, ids: list[int], tally: WarmTally, progress: _Progress
) -> None:
    timeout = aiohttp.ClientTimeout(total=120, sock_connect=10)
    headers = {"User-Agent": f"sleeve-warm/{__version__}"}
    with _cancel_on_sigterm():
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            await warm(
                session,
                args.url or DEFAULT_URL,
                key,
                ids,
                args.state or f"{args.file}.warm-state",
                WarmPolicy(share=args.share, rate=args.rate, wait=not args.no_wait),
                tally=tally,
                report=progress,
            )


@contextlib.contextmanager
def _cancel_on_sigterm() -> Iterator[None]:
    """A ``kill`` ends the run like Ctrl-C does: state synced, summary printed."""
    task = asyncio.current_task()
    if task is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # Windows, or no signals here
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


class _Progress:
    """A tqdm bar on stderr (a terminal only), or one line per change of waiting reason."""

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None
        self._waiting = ""

    def __call__(self, tally: WarmTally) -> None:
        if not self._enabled:
            if tally.waiting and tally.waiting != self._waiting:
                print(f"waiting: {tally.waiting}", file=sys.stderr, flush=True)
            self._waiting = tally.waiting
            return
        if self._bar is None:
            from tqdm import tqdm  # only when there is a terminal to draw on

            self._bar = tqdm(
                total=tally.total,
                unit="id",
                file=sys.stderr,
                dynamic_ncols=True,
                bar_format="{l_bar}{bar:20}{r_bar}",  # room for the counts and the wait
            )
        self._bar.n = tally.processed
        counts = (
            f"{tally.stored} stored, {tally.no_image} none, {tally.skipped} skipped, "
            f"{tally.failed} failed"
        )
        self._bar.set_postfix_str(counts + (f"; waiting: {tally.waiting}" if tally.waiting else ""))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _counts(tally: WarmTally) -> str:
    return (
        f"{tally.stored} stored, {tally.no_image} without image, "
        f"{tally.skipped} skipped, {tally.failed} failed"
    )


def _summarise(args: argparse.Namespace, tally: WarmTally, bad_lines: int) -> None:
    print(f"warm {args.file}: {_counts(tally)}, {tally.left} left of {tally.total}")
    if bad_lines:
        print(f"  {bad_lines} line(s) not release ids (see above)")
    for release_id, why in list(tally.failures.items())[:10]:
        print(f"  failed: release {release_id}: {why}")
    if len(tally.failures) > 10:
        print(f"  … and {len(tally.failures) - 10} more failures")
    if tally.stopped:
        print(f"  stopped: {tally.stopped}")
    if tally.left or tally.failed:
        print("  run the same command again to go on where this run stopped")


def _status(tally: WarmTally) -> int:
    if tally.failed:
        return FAILED
    if tally.left:
        return BUDGET if tally.budget_spent else FAILED
    return DONE
