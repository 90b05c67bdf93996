"""Opening a SQLite file the way every sleeve store does: WAL, a schema, write transactions.

WAL lets readers in every process proceed while one writes; ``BEGIN IMMEDIATE`` takes the
write lock at the start of a transaction, so a writer waits for others there (up to the
busy timeout) instead of failing midway; ``synchronous = NORMAL`` is durable across a
process crash in WAL mode (a power cut may lose the last transactions, never corrupt).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator

__all__ = ["create_schema", "enter_wal", "open_database", "transaction"]


def open_database(
    path: str, *, busy_timeout: float, cache_kib: int, one_thread: bool = True
) -> sqlite3.Connection:
    """A connection to ``path`` (created if missing, not its directory), in WAL mode,
    autocommit.

    ``one_thread`` False lets the connection be handed between threads (used by one at a
    time); ``cache_kib`` bounds SQLite's page cache for this connection.
    """
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=one_thread
    )
    try:
        enter_wal(conn, time.monotonic() + busy_timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        conn.execute("PRAGMA journal_size_limit = 67108864")
    except BaseException:
        conn.close()
        raise
    return conn


def enter_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Switch the file to WAL, retrying while another process does the same.

    The switch needs an exclusive lock and SQLite reports that race as "locked" at
    once, without its busy handler, when several workers open a new file together.
    """
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    if mode != "wal":
        raise sqlite3.OperationalError(f"cannot use WAL mode (got {mode!r})")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction holding the write lock from the start (``BEGIN IMMEDIATE``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def create_schema(
    conn: sqlite3.Connection, statements: Iterable[str], *, version: int, what: str
) -> None:
    """Create the tables unless the file already has schema ``version``.

    The common case (an existing file) takes no lock at all, so readers can open while an
    import or another process holds the write lock. A file of another version is refused
    rather than read wrongly.
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] == version:
        return
    with transaction(conn):
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found not in (0, version):
            raise sqlite3.DatabaseError(f"{what} schema {found}, expected {version}")
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
