"""Rate limits in a SQLite file, shared by every worker process on one host.

The embedded backend (``cache.backend: sqlite``) has no Redis, yet ``sleeve serve
--workers N`` runs N processes that must together keep each upstream's limit, spend one
daily image budget, and count each client once. Per-process logs would let N times
through; this keeps one log per name in a file beside the cache, which every worker opens.
It also outlives a restart, so a gateway restarted a moment after spending its window
(or its day's image budget) does not spend it again.

Layout (``PRAGMA user_version = 1``)::

    admissions(name BLOB, counts_from REAL, serial TEXT, expires_at REAL)
        one row per admission; counts_from = expires_at - window; indexed by
        (name, counts_from) for decisions and by expires_at for the sweep
    pauses(name BLOB PRIMARY KEY, until REAL)

Times are ``time.time()``: the one clock all processes of a host share (a step of the
system clock shifts a window once, as a step of Redis's clock does for Redis). Each
admission is one ``BEGIN IMMEDIATE`` transaction, so the count it reads is the count it
writes against, whichever worker asks; the arithmetic is :mod:`.sliding_window`'s, as
for the other backends. Release, pause and reset are single statements.

Bounded: an acquire first drops its name's rows that left the window, and every
``sweep_interval`` seconds one statement drops every row past its ``expires_at`` and
every ended pause, so idle names cost nothing. At any time the file holds at most the
admissions of the last window (plus held ones), whatever the number of names.

SQLite calls block, so each backend runs them on one thread of its own (the connection
never crosses threads, the event loop never waits on disk); every ``sqlite3.Error`` is
:class:`~sleeve.backends.StoreUnavailable`, for :mod:`.fallback` to count in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import secrets
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from typing import TypeVar

from ..backends import StoreUnavailable, key_bytes
from ..backends.sqlite import create_schema, open_database, transaction
from .limiter import Admission, LimiterBackend, RateLimiter
from .sliding_window import admits, answer, blocking_rank, check_reserve, pause_length

__all__ = ["SQLiteLimiterBackend"]

_T = TypeVar("_T")
_SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS admissions (
        name BLOB NOT NULL,
        counts_from REAL NOT NULL,
        serial TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (name, serial)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS admissions_by_time ON admissions (name, counts_from)",
    "CREATE INDEX IF NOT EXISTS admissions_by_expiry ON admissions (expires_at)",
    """CREATE TABLE IF NOT EXISTS pauses (
        name BLOB PRIMARY KEY,
        until REAL NOT NULL
    ) WITHOUT ROWID""",
)
_PRUNE = "DELETE FROM admissions WHERE name = ? AND counts_from <= ?"
_LIVE = "SELECT count(*), max(counts_from) FROM admissions WHERE name = ? AND counts_from > ?"
_AT_RANK = """
SELECT counts_from FROM admissions WHERE name = ? AND counts_from > ?
ORDER BY counts_from LIMIT 1 OFFSET ?
"""
_PAUSED_UNTIL = "SELECT until FROM pauses WHERE name = ?"
_ADMIT = "INSERT INTO admissions (name, counts_from, serial, expires_at) VALUES (?, ?, ?, ?)"
_RELEASE = """
UPDATE admissions SET counts_from = ?1, expires_at = ?1 + ?2
WHERE name = ?3 AND serial = ?4 AND counts_from > ?1
"""
_PAUSE = """
INSERT INTO pauses (name, until) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET until = max(until, excluded.until)
"""
_FORGET_ADMISSIONS = "DELETE FROM admissions WHERE name = ?"
_FORGET_PAUSE = "DELETE FROM pauses WHERE name = ?"
_SWEEP_ADMISSIONS = "DELETE FROM admissions WHERE expires_at <= ?"
_SWEEP_PAUSES = "DELETE FROM pauses WHERE until <= ?"
_ROWS = "SELECT count(*) FROM admissions"


@dataclasses.dataclass(frozen=True, slots=True)
class _Facts:
    """What a decision read: the inputs of :func:`~.sliding_window.answer`."""

    admitted: bool
    live: int
    now: float
    blocking: float | None
    newest: float | None
    paused_until: float | None
    ticket: str | None = None


class _LimitsFile:
    """The blocking half: one connection and every statement. Used from one thread only."""

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self.conn = open_database(path, busy_timeout=busy_timeout, cache_kib=1024)
        try:
            create_schema(self.conn, _SCHEMA, version=_SCHEMA_VERSION, what="limits")
        except BaseException:
            self.conn.close()
            raise

    def decide(
        self, name: bytes, limit: int, window: float, reserve: int, hold: float | None, serial: str
    ) -> _Facts:
        """Admit (and record, unless ``hold`` is None: a peek) or deny one call now."""
        conn = self.conn
        if hold is None:  # a peek reads, in one snapshot, and writes nothing
            conn.execute("BEGIN")
        else:
            conn.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            since = now - window
            if hold is not None:
                conn.execute(_PRUNE, (name, since))
            live, newest = conn.execute(_LIVE, (name, since)).fetchone()
            row = conn.execute(_PAUSED_UNTIL, (name,)).fetchone()
            paused_until = row[0] if row is not None and row[0] > now else None
            if admits(live, limit, reserve, paused=paused_until is not None):
                counts_from = now + max(0.0, hold or 0.0)
                ticket = None
                if hold is not None:
                    conn.execute(_ADMIT, (name, counts_from, serial, counts_from + window))
                    ticket = serial if hold > 0 else None
                newest = counts_from if newest is None else max(newest, counts_from)
                facts = _Facts(True, live + 1, now, None, newest, paused_until, ticket)
            else:
                rank = blocking_rank(live, limit, reserve)
                blocking = None
                if rank is not None:
                    blocking = conn.execute(_AT_RANK, (name, since, rank)).fetchone()[0]
                facts = _Facts(False, live, now, blocking, newest, paused_until)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return facts

    def release(self, name: bytes, serial: str, window: float) -> None:
        self.conn.execute(_RELEASE, (time.time(), window, name, serial))

    def pause(self, name: bytes, seconds: float) -> None:
        self.conn.execute(_PAUSE, (name, time.time() + seconds))

    def reset(self, name: bytes) -> None:
        with transaction(self.conn) as conn:
            conn.execute(_FORGET_ADMISSIONS, (name,))
            conn.execute(_FORGET_PAUSE, (name,))

    def sweep(self) -> int:
        now = time.time()
        with transaction(self.conn) as conn:
            conn.execute(_SWEEP_PAUSES, (now,))
            return conn.execute(_SWEEP_ADMISSIONS, (now,)).rowcount

    def rows(self) -> int:
        count: int = self.conn.execute(_ROWS).fetchone()[0]
        return count

    def close(self) -> None:
        self.conn.close()


class SQLiteLimiterBackend(LimiterBackend):
    """:class:`LimiterBackend` in the SQLite file ``path``; each process opens its own.

    ``busy_timeout`` is how long an admission waits for another process's before
    :class:`~sleeve.backends.StoreUnavailable`; rows past their window are swept at most
    every ``sweep_interval`` seconds, on an admission. The file is opened on first use.
    """

    def __init__(
        self, path: str | PathLike[str], *, busy_timeout: float = 2.0, sweep_interval: float = 60.0
    ) -> None:
        self._path = str(path)
        self._busy_timeout = busy_timeout
        self._sweep_interval = sweep_interval
        self._next_sweep = time.monotonic() + sweep_interval
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sleeve-limits")
        self._file: _LimitsFile | None = None
        self._closed = False
        self._id = secrets.token_hex(6)  # serials are unique across processes
        self._serials = itertools.count()

    def limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        return _SQLiteLimiter(self, name, limit, window)

    async def healthy(self) -> bool:
        try:
            await self._run(lambda file: file.rows())
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(StoreUnavailable):
            await self._run(lambda _: self._close_file(), open_file=False)
        self._closed = True
        self._thread.shutdown(wait=False)

    async def rows(self) -> int:
        """Admissions kept in the file right now, every name's (for tests and metrics)."""
        return await self._run(lambda file: file.rows())

    async def sweep(self) -> int:
        """Drop every admission that left its window and every ended pause, now."""
        return await self._run(lambda file: file.sweep())

    async def _admission_made(self) -> None:
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self._sweep_interval
            with contextlib.suppress(StoreUnavailable):  # the next one will
                await self.sweep()

    def _serial(self) -> str:
        return f"{self._id}{next(self._serials)}"

    async def _run(self, call: Callable[[_LimitsFile], _T], *, open_file: bool = True) -> _T:
        """``call`` on the backend's thread, SQLite's failures as :class:`StoreUnavailable`."""
        if self._closed:
            raise StoreUnavailable(f"SQLite limits {self._path} are closed")

        def run() -> _T:
            if self._file is None and open_file:
                self._file = _LimitsFile(self._path, busy_timeout=self._busy_timeout)
            return call(self._file)  # type: ignore[arg-type]

        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, run)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite limits {self._path}: {exc}") from exc

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _SQLiteLimiter(RateLimiter):
    __slots__ = ("_backend", "_key")

    def __init__(self, backend: SQLiteLimiterBackend, name: str, limit: int, window: float) -> None:
        super().__init__(name, limit, window)
        self._backend = backend
        self._key = key_bytes(name)

    async def acquire(self, *, reserve: int = 0, hold: float = 0.0) -> Admission:
        check_reserve(reserve)
        serial, limit, window = self._backend._serial(), self.limit, self.window
        facts = await self._backend._run(
            lambda file: file.decide(self._key, limit, window, reserve, hold, serial)
        )
        if facts.admitted:
            await self._backend._admission_made()
        return self._answer(facts)

    async def release(self, ticket: str) -> None:
        await self._backend._run(lambda file: file.release(self._key, ticket, self.window))

    async def peek(self, *, reserve: int = 0) -> Admission:
        check_reserve(reserve)
        limit, window = self.limit, self.window
        facts = await self._backend._run(
            lambda file: file.decide(self._key, limit, window, reserve, None, "")
        )
        return self._answer(facts)

    async def pause(self, seconds: float) -> None:
        seconds = pause_length(seconds)
        if seconds > 0:
            await self._backend._run(lambda file: file.pause(self._key, seconds))

    async def reset(self) -> None:
        await self._backend._run(lambda file: file.reset(self._key))

    def _answer(self, facts: _Facts) -> Admission:
        admission = answer(
            admitted=facts.admitted,
            live=facts.live,
            limit=self.limit,
            window=self.window,
            now=facts.now,
            blocking=facts.blocking,
            newest=facts.newest,
            paused_until=facts.paused_until,
        )
        if facts.ticket is None:
            return admission
        return admission._replace(ticket=facts.ticket)
