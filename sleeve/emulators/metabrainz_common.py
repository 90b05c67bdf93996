"""What the MusicBrainz, Cover Art Archive, iTunes, Spotify and TIDAL emulators share (and,
through ``FailureMode``/``RecordedRequest``, the Discogs emulator): the call log tests
assert on and the counters read from it, the switchable failure modes and the control
endpoints that switch them, and the two ways of answering nothing useful (a dropped
connection, a delay).

Kept apart from the emulators so each of those stays about its own service's rules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from typing import Any

from aiohttp import web

from .discogs import FailureMode, RecordedRequest

MODES = ("ok", "delay", "error", "drop", "garbage", "ratelimited")
RECORDED_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "If-None-Match", "Range")


class CallLog:
    """Counters and the request list, safe to read from the test's thread."""

    def __init__(self) -> None:
        self.calls = 0
        self.calls_by_path: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def record(self, request: web.Request) -> None:
        headers = {h: request.headers[h] for h in RECORDED_HEADERS if h in request.headers}
        with self._lock:
            self.calls += 1
            self.calls_by_path[request.path] += 1
            self.requests.append(
                RecordedRequest(time.monotonic(), request.method, request.path_qs, headers)
            )

    def clear(self) -> None:
        with self._lock:
            self.calls = 0
            self.calls_by_path.clear()
            self.requests.clear()

    def arrival_times(self, path: str | None = None) -> list[float]:
        """Monotonic arrival times, optionally only for one path (without query)."""
        return [r.time for r in self.requests if path is None or r.path == path]

    def as_json(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "calls_by_path": dict(self.calls_by_path),
            "requests": [r._asdict() for r in self.requests],
        }


class ModeSwitch:
    """The current ``FailureMode``, counting down ``times`` request by request."""

    def __init__(self, default_status: int = 503) -> None:
        self.default_status = default_status
        self._mode = FailureMode(status=default_status)
        self._lock = threading.Lock()

    def set(self, mode: str, *, times: int | None = None, **options: object) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        if isinstance(options.get("body"), str):
            options["body"] = str(options["body"]).encode()
        options.setdefault("status", self.default_status)
        if times is not None and times <= 0:
            mode = "ok"
        with self._lock:
            self._mode = FailureMode(name=mode, times=times, **options)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return self._mode.name

    def reset(self) -> None:
        with self._lock:
            self._mode = FailureMode(status=self.default_status)

    def take(self) -> FailureMode:
        """The mode for this request (a copy), counting down ``times``."""
        with self._lock:
            mode = dataclasses.replace(self._mode)
            if self._mode.times is not None:
                self._mode.times -= 1
                if self._mode.times <= 0:
                    self._mode = FailureMode(status=self.default_status)
            return mode


class CountedEmulator:
    """An emulator's counts of the calls its API got (``_log``; a token, image or
    download side is counted apart by the emulator itself) and the control endpoints
    tests running it out of process use. Subclasses have ``mode``, ``set_mode`` and
    ``reset``."""

    _log: CallLog

    @property
    def mode(self) -> str:
        raise NotImplementedError

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    @property
    def calls(self) -> int:
        return self._log.calls

    @property
    def calls_by_path(self) -> Counter[str]:
        return self._log.calls_by_path

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.requests

    def arrival_times(self, path: str | None = None) -> list[float]:
        return self._log.arrival_times(path)

    def _mode_state(self) -> dict[str, object]:
        """What ``POST /_emulator/mode`` answers."""
        return {"mode": self.mode}

    async def _control_mode(self, request: web.Request) -> web.Response:
        try:
            options = await request.json()
            self.set_mode(options.pop("mode", "ok"), **options)
        except (TypeError, ValueError, AttributeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(self._mode_state())

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})


async def drop(request: web.Request) -> web.StreamResponse:
    """Close the socket without a response; the client sees a disconnect."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError  # aiohttp ends the handler quietly; nothing is written
