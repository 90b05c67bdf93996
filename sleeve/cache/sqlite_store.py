"""The embedded cache: one SQLite file, shared by every worker process on the host.

Why SQLite: transactions make every ``put`` all-or-nothing (a killed process never leaves
half an entry readable), WAL lets readers in all processes proceed while one writes, and
the data lives on disk, so memory stays flat however many keys there are (the process
keeps no key set; SQLite's page cache is bounded by ``cache_kib``).

Layout (``PRAGMA user_version = 1``)::

    entries(key BLOB UNIQUE, keep_until REAL, accessed_at REAL, size INTEGER, value BLOB)
        key = key_bytes(key), value = CachedAnswer.encode(), size = len(key) + len(value)
        indexes on accessed_at (eviction order) and keep_until (expiry sweep)
    stats(id = 0, total_bytes)          sum of entries.size, kept exact by triggers
    locks(name BLOB PRIMARY KEY, token TEXT, expires_at REAL)
    counters(name BLOB PRIMARY KEY, value INTEGER)

The bound is on ``total_bytes`` (keys + encoded answers); the file itself is larger by
SQLite's indexes and page slack. Past the bound a ``put`` first drops expired entries,
then the least recently used (``accessed_at``, refreshed by ``get`` at most once every
``touch_interval`` seconds so hits rarely write).

SQLite calls block, so each store runs them on one thread of its own: the connection
never crosses threads and the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from typing import TypeVar

from ..backends import StoreUnavailable, key_bytes, key_text
from ..backends.sqlite import create_schema, open_database, transaction
from .entry import CachedAnswer, CorruptEntry
from .store import CacheStore

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")
_SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entries (
        key BLOB NOT NULL UNIQUE,
        keep_until REAL NOT NULL,
        accessed_at REAL NOT NULL,
        size INTEGER NOT NULL,
        value BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS entries_by_access ON entries (accessed_at)",
    "CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (keep_until)",
    """CREATE TABLE IF NOT EXISTS stats (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        total_bytes INTEGER NOT NULL
    )""",
    "INSERT OR IGNORE INTO stats (id, total_bytes) VALUES (0, 0)",
    """CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
        UPDATE stats SET total_bytes = total_bytes + NEW.size;
    END""",
    """CREATE TRIGGER IF NOT EXISTS entries_dropped AFTER DELETE ON entries BEGIN
        UPDATE stats SET total_bytes = total_bytes - OLD.size;
    END""",
    """CREATE TRIGGER IF NOT EXISTS entries_replaced AFTER UPDATE OF size ON entries BEGIN
        UPDATE stats SET total_bytes = total_bytes - OLD.size + NEW.size;
    END""",
    """CREATE TABLE IF NOT EXISTS locks (
        name BLOB PRIMARY KEY,
        token TEXT NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS counters (
        name BLOB PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID""",
)
_GET = "SELECT rowid, keep_until, accessed_at, value FROM entries WHERE key = ?"
_TOUCH = "UPDATE entries SET accessed_at = ? WHERE rowid = ? AND accessed_at < ?"
_UPSERT = """
INSERT INTO entries (key, keep_until, accessed_at, size, value) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET keep_until = excluded.keep_until,
    accessed_at = excluded.accessed_at, size = excluded.size, value = excluded.value
"""
_DROP_IF_EXPIRED = "DELETE FROM entries WHERE key = ? AND keep_until <= ?"
_DROP_IF_UNCHANGED = "DELETE FROM entries WHERE key = ? AND value = ?"
_DELETE = "DELETE FROM entries WHERE key = ?"
_TOTAL = "SELECT total_bytes FROM stats"
_DROP_EXPIRED = """
DELETE FROM entries WHERE rowid IN
    (SELECT rowid FROM entries WHERE keep_until <= ? ORDER BY keep_until LIMIT ?)
"""
_DROP_OLDEST = """
DELETE FROM entries WHERE rowid IN
    (SELECT rowid FROM entries ORDER BY accessed_at, rowid LIMIT ?)
"""
_DROP_EXPIRED_LOCKS = "DELETE FROM locks WHERE expires_at <= ?"
_LOCK = """
INSERT INTO locks (name, token, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
    WHERE locks.expires_at <= ?
"""
_UNLOCK = "DELETE FROM locks WHERE name = ? AND token = ? RETURNING expires_at"
_INCR = """
INSERT INTO counters (name, value) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
"""


def _prefix_condition(column: str, prefix: str) -> tuple[str, tuple[bytes, ...]]:
    """A SQL condition on a BLOB ``column`` matching values that start with ``prefix``.

    BLOBs compare bytewise, so "starts with p" is the index range
    ``p <= column < successor(p)``: no pattern syntax, so no escaping to get wrong.
    """
    low = key_bytes(prefix)
    high = low.rstrip(b"\xff")
    if not high:
        return f"{column} >= ?", (low,)
    return f"{column} >= ? AND {column} < ?", (low, high[:-1] + bytes([high[-1] + 1]))


class _CacheFile:
    """The blocking half: one connection and every statement. Used from one thread only."""

    def __init__(self, path: str, *, busy_timeout: float, cache_kib: int) -> None:
        self.conn = open_database(path, busy_timeout=busy_timeout, cache_kib=cache_kib)
        try:
            create_schema(self.conn, _SCHEMA, version=_SCHEMA_VERSION, what="cache")
        except BaseException:
            self.conn.close()
            raise

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return transaction(self.conn)

    def best_effort(self, statement: str, params: tuple[object, ...]) -> None:
        """A write a read can do without: skipped if the write lock stays busy."""
        with contextlib.suppress(sqlite3.OperationalError):
            self.conn.execute(statement, params)

    def close(self) -> None:
        self.conn.close()


class _Entries:
    """Entry statements over a :class:`_CacheFile`, with the bound and LRU-ish touches."""

    def __init__(self, file: _CacheFile, *, max_bytes: int, touch_interval: float) -> None:
        self._file = file
        self._conn = file.conn
        self._max_bytes = max_bytes
        self._touch_interval = touch_interval

    def get(self, key: bytes) -> CachedAnswer | None:
        row = self._conn.execute(_GET, (key,)).fetchone()
        if row is None:
            return None
        rowid, keep_until, accessed_at, value = row
        now = time.time()
        if keep_until <= now:
            self._file.best_effort(_DROP_IF_EXPIRED, (key, now))
            return None
        try:
            answer = CachedAnswer.decode(value)
        except CorruptEntry:
            self._file.best_effort(_DROP_IF_UNCHANGED, (key, value))
            return None
        if now - accessed_at > self._touch_interval:
            self._file.best_effort(_TOUCH, (now, rowid, now - self._touch_interval))
        return answer

    def put(self, key: bytes, value: bytes, keep_until: float) -> None:
        now, size = time.time(), len(key) + len(value)
        if keep_until <= now or size > self._max_bytes:
            self.delete(key)
            return
        with self._file.transaction() as conn:
            conn.execute(_UPSERT, (key, keep_until, now, size, value))
            self._keep_bounded(now)

    def _keep_bounded(self, now: float) -> None:
        """Drop expired, then least recently used entries until the total fits the bound.

        Usually one entry makes room for the next; the batch doubles when it does not
        (a lowered bound), so a large excess costs few statements and at most twice
        the entries it needed.
        """
        if self.total() <= self._max_bytes:
            return
        self._conn.execute(_DROP_EXPIRED, (now, 256))
        batch = 1
        while self.total() > self._max_bytes:
            if self._conn.execute(_DROP_OLDEST, (batch,)).rowcount == 0:
                break
            batch = min(batch * 2, 256)

    def drop_expired(self, limit: int) -> int:
        """Sweep up to ``limit`` entries past ``keep_until`` and every expired lock."""
        now = time.time()
        with self._file.transaction() as conn:
            conn.execute(_DROP_EXPIRED_LOCKS, (now,))
            return conn.execute(_DROP_EXPIRED, (now, limit)).rowcount

    def delete(self, key: bytes) -> bool:
        return self._conn.execute(_DELETE, (key,)).rowcount > 0

    def purge_prefix(self, prefix: str, batch: int = 1000) -> int:
        """Deleted in batches of separate transactions, so other writers get turns."""
        condition, params = _prefix_condition("key", prefix)
        statement = (
            f"DELETE FROM entries WHERE rowid IN (SELECT rowid FROM entries WHERE {condition} "
            "LIMIT ?)"
        )
        dropped = 0
        while deleted := self._conn.execute(statement, (*params, batch)).rowcount:
            dropped += deleted
        return dropped

    def total(self) -> int:
        total: int = self._conn.execute(_TOTAL).fetchone()[0]
        return total


class _LocksAndCounters:
    """Expiring locks and shared counters, each one atomic statement."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def try_lock(self, name: bytes, ttl: float) -> str | None:
        token, now = secrets.token_hex(16), time.time()
        acquired = self._conn.execute(_LOCK, (name, token, now + ttl, now)).rowcount
        return token if acquired else None

    def unlock(self, name: bytes, token: str) -> bool:
        rows = self._conn.execute(_UNLOCK, (name, token)).fetchall()
        return bool(rows) and rows[0][0] > time.time()

    def incr(self, name: bytes, amount: int) -> None:
        self._conn.execute(_INCR, (name, amount))

    def counters(self, prefix: str) -> dict[str, int]:
        condition, params = _prefix_condition("name", prefix)
        statement = f"SELECT name, value FROM counters WHERE {condition}"
        return {key_text(name): value for name, value in self._conn.execute(statement, params)}


class SQLiteStore(CacheStore):
    """:class:`CacheStore` in a SQLite file; each process opens its own.

    ``max_bytes`` bounds keys plus encoded answers; ``busy_timeout`` is how long a write
    waits for another process' write before :class:`StoreUnavailable`; ``cache_kib`` is
    SQLite's page cache per store; ``touch_interval`` is how stale ``accessed_at`` may
    get before a hit refreshes it; expired entries are swept at most every
    ``sweep_interval`` seconds, on a ``put``. The file is opened on first use.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        max_bytes: int = 1 << 30,
        busy_timeout: float = 5.0,
        cache_kib: int = 8192,
        touch_interval: float = 5.0,
        sweep_interval: float = 60.0,
    ) -> None:
        self._path = str(path)
        self._max_bytes = max_bytes
        self._busy_timeout = busy_timeout
        self._cache_kib = cache_kib
        self._touch_interval = touch_interval
        self._sweep_interval = sweep_interval
        self._next_sweep = time.monotonic() + sweep_interval
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sleeve-sqlite")
        self._closed = False
        self._file: _CacheFile | None = None
        self._entries: _Entries | None = None
        self._locks: _LocksAndCounters | None = None

    async def get(self, key: str) -> CachedAnswer | None:
        return await self._run(lambda: self._opened_entries().get(key_bytes(key)))

    async def put(self, key: str, answer: CachedAnswer) -> None:
        value = answer.encode()
        await self._run(
            lambda: self._opened_entries().put(key_bytes(key), value, answer.keep_until)
        )
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self._sweep_interval
            with contextlib.suppress(StoreUnavailable):
                await self.drop_expired()

    async def delete(self, key: str) -> bool:
        return await self._run(lambda: self._opened_entries().delete(key_bytes(key)))

    async def purge_prefix(self, prefix: str) -> int:
        return await self._run(lambda: self._opened_entries().purge_prefix(prefix))

    async def try_lock(self, name: str, ttl: float) -> str | None:
        return await self._run(lambda: self._opened_locks().try_lock(key_bytes(name), ttl))

    async def unlock(self, name: str, token: str) -> bool:
        return await self._run(lambda: self._opened_locks().unlock(key_bytes(name), token))

    async def incr(self, counter: str, amount: int = 1) -> None:
        await self._run(lambda: self._opened_locks().incr(key_bytes(counter), amount))

    async def counters(self, prefix: str = "") -> dict[str, int]:
        return await self._run(lambda: self._opened_locks().counters(prefix))

    async def healthy(self) -> bool:
        try:
            await self._run(lambda: self._opened_entries().total())
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(StoreUnavailable):
            await self._run(self._close_file)
        self._closed = True
        self._thread.shutdown(wait=False)

    async def stored_bytes(self) -> int:
        """Keys plus encoded answers currently stored: what ``max_bytes`` bounds."""
        return await self._run(lambda: self._opened_entries().total())

    async def drop_expired(self, limit: int = 1000) -> int:
        """Drop up to ``limit`` entries past ``keep_until`` (and expired locks) now.

        ``put`` calls this every ``sweep_interval``; expired entries are never served
        either way, this only gives their space back.
        """
        return await self._run(lambda: self._opened_entries().drop_expired(limit))

    async def _run(self, call: Callable[[], _T]) -> _T:
        """``call`` on the store's thread, with SQLite's failures as :class:`StoreUnavailable`."""
        if self._closed:
            raise StoreUnavailable(f"SQLite cache {self._path} is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, call)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite cache {self._path}: {exc}") from exc

    def _opened_entries(self) -> _Entries:
        if self._entries is None:
            self._open()
        assert self._entries is not None
        return self._entries

    def _opened_locks(self) -> _LocksAndCounters:
        if self._locks is None:
            self._open()
        assert self._locks is not None
        return self._locks

    def _open(self) -> None:
        file = _CacheFile(self._path, busy_timeout=self._busy_timeout, cache_kib=self._cache_kib)
        self._file = file
        self._entries = _Entries(
            file, max_bytes=self._max_bytes, touch_interval=self._touch_interval
        )
        self._locks = _LocksAndCounters(file.conn)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._entries = self._locks = None
