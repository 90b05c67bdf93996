"""The AcousticBrainz archive: one SQLite file of every imported document, read by all
gateway processes.

Why not sleeve's answer cache: that cache is bounded and evicts, and this data cannot be
fetched again once evicted (the upstream is gone). Why SQLite: one file to copy, readers
in any number of processes alongside one importer (WAL), each import batch all-or-nothing.

Layout (``PRAGMA user_version = 1``)::

    documents(mbid BLOB, level INTEGER, n INTEGER, codec INTEGER, data BLOB)
        mbid  = the MBID's 16 bytes (a third of its text; the index holds them twice)
        level = 0 low-level, 1 high-level; n = submission offset
        data  = the document's JSON as found in the dump, zstd-compressed: codec 0 plain,
                codec 1 with the level's dictionary
        UNIQUE INDEX (mbid, level, n): look-ups, and counts by an index range scan
    dictionaries(level INTEGER PRIMARY KEY, data BLOB)
        one zstd dictionary per level, trained on the first batch imported and never
        changed (rows compressed with it must stay readable)
    imports(source TEXT PRIMARY KEY, size, mtime_ns, members_done, finished, updated_at)
        how far each dump has been imported; written in the same transaction as the
        documents it accounts for

Compression, measured on AcousticBrainz documents (high-level ≈ 5 KB of JSON, low-level
≈ 50 to 80 KB): zstd level 3 compresses as well as zlib level 6 at 3 to 8 times the speed
and decompresses 2 to 5 times faster; a 64 KiB dictionary trained on the dump's own documents halves
high-level documents again (they are mostly the same keys and model names) and saves
about a tenth on low-level ones. Counts need no table of their own: a recording has a
handful of submissions, and the unique index yields them in one short range scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import NamedTuple, TypeVar

import zstandard

from ..backends.sqlite import create_schema, open_database, transaction
from .dump import Level

__all__ = [
    "FeatureStore",
    "FeatureStoreUnavailable",
    "FeatureWriter",
    "SourceProgress",
    "StoredDocument",
    "mbid_bytes",
]

_T = TypeVar("_T")
_SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS documents (
        mbid BLOB NOT NULL,
        level INTEGER NOT NULL,
        n INTEGER NOT NULL,
        codec INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS documents_by_key ON documents (mbid, level, n)",
    """CREATE TABLE IF NOT EXISTS dictionaries (
        level INTEGER PRIMARY KEY,
        data BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS imports (
        source TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        members_done INTEGER NOT NULL,
        finished INTEGER NOT NULL,
        updated_at REAL NOT NULL
    )""",
)
_LEVEL_CODES: dict[Level, int] = {"lowlevel": 0, "highlevel": 1}
_PLAIN, _WITH_DICTIONARY = 0, 1
_GET = "SELECT codec, data FROM documents WHERE mbid = ? AND level = ? AND n = ?"
_COUNT = "SELECT level, count(*) FROM documents WHERE mbid = ? GROUP BY level"
_INSERT = "INSERT OR IGNORE INTO documents (mbid, level, n, codec, data) VALUES (?, ?, ?, ?, ?)"
_DICTIONARY = "SELECT data FROM dictionaries WHERE level = ?"
_SAVE_DICTIONARY = "INSERT INTO dictionaries (level, data) VALUES (?, ?)"
_PROGRESS = "SELECT size, mtime_ns, members_done, finished FROM imports WHERE source = ?"
_SAVE_PROGRESS = """
INSERT INTO imports (source, size, mtime_ns, members_done, finished, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
    members_done = excluded.members_done, finished = excluded.finished,
    updated_at = excluded.updated_at
"""
_COMPRESSION_LEVEL = 3
_DICTIONARY_BYTES = 64 << 10
_TRAINING_BYTES = 4 << 20


class FeatureStoreUnavailable(Exception):
    """The archive file cannot be read (missing directory, corrupt file, disk error)."""


class StoredDocument(NamedTuple):
    """One document to store: its key and its (already checked) JSON bytes."""

    mbid: str
    level: Level
    n: int
    data: bytes


@dataclass(frozen=True)
class SourceProgress:
    """How far the dump ``source`` (a resolved path) has been imported.

    ``size`` and ``mtime_ns`` identify the file: a dump replaced by another (a completed
    download) starts again from its first member.
    """

    source: str
    size: int
    mtime_ns: int
    members_done: int = 0
    finished: bool = False


def mbid_bytes(mbid: str) -> bytes:
    """The 16 bytes of a canonical (hyphenated) MBID, any case."""
    return bytes.fromhex(mbid.replace("-", ""))


class _Codecs:
    """zstd per level, with the level's dictionary once there is one. One thread only."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._plain = zstandard.ZstdCompressor(level=_COMPRESSION_LEVEL)
        self._plain_reader = zstandard.ZstdDecompressor()
        self._compressors: dict[int, zstandard.ZstdCompressor] = {}
        self._decompressors: dict[int, zstandard.ZstdDecompressor] = {}

    def decompress(self, level: int, codec: int, data: bytes) -> bytes:
        if codec == _PLAIN:
            return self._plain_reader.decompress(data)
        reader = self._decompressors.get(level)
        if reader is None:
            dictionary = self._stored_dictionary(level)
            if dictionary is None:
                raise sqlite3.DatabaseError(f"no dictionary for level {level}")
            reader = self._decompressors[level] = zstandard.ZstdDecompressor(dict_data=dictionary)
        return reader.decompress(data)

    def compressor(
        self, level: int, samples: Sequence[bytes], min_samples: int
    ) -> tuple[int, Callable[[bytes], bytes]]:
        """``(codec, compress)`` for ``level``, training its dictionary from ``samples``
        when it has none and they are enough (the caller holds the write transaction)."""
        compressor = self._compressors.get(level)
        if compressor is None:
            dictionary = self._stored_dictionary(level)
            if dictionary is None and len(samples) >= min_samples:
                dictionary = self._trained(level, samples)
            if dictionary is None:
                return _PLAIN, self._plain.compress
            compressor = zstandard.ZstdCompressor(level=_COMPRESSION_LEVEL, dict_data=dictionary)
            self._compressors[level] = compressor
        return _WITH_DICTIONARY, compressor.compress

    def forget(self) -> None:
        """Drop cached compressors, so dictionaries are read again from the file."""
        self._compressors.clear()

    def _stored_dictionary(self, level: int) -> zstandard.ZstdCompressionDict | None:
        row = self._conn.execute(_DICTIONARY, (level,)).fetchone()
        return None if row is None else zstandard.ZstdCompressionDict(row[0])

    def _trained(
        self, level: int, samples: Sequence[bytes]
    ) -> zstandard.ZstdCompressionDict | None:
        chosen: list[bytes | bytearray | memoryview] = []
        total = 0
        for sample in samples:
            if total + len(sample) > _TRAINING_BYTES:
                break
            chosen.append(sample)
            total += len(sample)
        try:
            # Fixed cover parameters: as good as zstd's search here, at a fifth of the time.
            dictionary = zstandard.train_dictionary(_DICTIONARY_BYTES, chosen, k=1024, d=8)
        except zstandard.ZstdError:
            return None  # too little or too uniform data: plain zstd, try on a later batch
        self._conn.execute(_SAVE_DICTIONARY, (level, dictionary.as_bytes()))
        return dictionary


class _FeatureFile:
    """The blocking half: one connection and every statement. Used by one thread at a
    time (``one_thread``: always the same one)."""

    def __init__(
        self, path: str, *, busy_timeout: float, cache_kib: int, one_thread: bool = True
    ) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = open_database(
            path, busy_timeout=busy_timeout, cache_kib=cache_kib, one_thread=one_thread
        )
        try:
            create_schema(
                self.conn, _SCHEMA, version=_SCHEMA_VERSION, what="AcousticBrainz archive"
            )
        except BaseException:
            self.conn.close()
            raise
        self.codecs = _Codecs(self.conn)

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return transaction(self.conn)

    def get(self, mbid: str, level: Level, n: int) -> bytes | None:
        code = _LEVEL_CODES[level]
        row = self.conn.execute(_GET, (mbid_bytes(mbid), code, n)).fetchone()
        return None if row is None else self.codecs.decompress(code, row[0], row[1])

    def count(self, mbid: str) -> int:
        """Submissions of ``mbid``: its low-level documents, or its high-level ones when
        more of those were imported (only high-level dumps loaded)."""
        counts = self.conn.execute(_COUNT, (mbid_bytes(mbid),)).fetchall()
        return max((count for _, count in counts), default=0)

    def close(self) -> None:
        self.conn.close()


class FeatureStore:
    """Async reads of the archive at ``path``; each process opens its own.

    Every SQLite call runs on the store's one thread, so the connection never crosses
    threads and the event loop never waits on disk. Failures surface as
    :class:`FeatureStoreUnavailable`. The file is opened (and created empty, with its
    directory) on first use. ``writer()`` gives the importer its own connection.
    """

    def __init__(
        self, path: str | PathLike[str], *, busy_timeout: float = 5.0, cache_kib: int = 16384
    ) -> None:
        self.path = str(path)
        self._busy_timeout = busy_timeout
        self._cache_kib = cache_kib
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sleeve-ab")
        self._file: _FeatureFile | None = None
        self._closed = False

    async def get(self, mbid: str, level: Level, n: int) -> bytes | None:
        """The JSON bytes of document ``n`` of ``mbid`` at ``level``, or None."""
        return await self._run(lambda: self._opened().get(mbid, level, n))

    async def count(self, mbid: str) -> int:
        """How many submissions the archive holds for ``mbid`` (0 when none)."""
        return await self._run(lambda: self._opened().count(mbid))

    async def counts(self, mbids: Iterable[str]) -> dict[str, int]:
        """:meth:`count` of each of ``mbids``, in one trip to the store's thread."""
        wanted = list(mbids)
        return await self._run(lambda: {mbid: self._opened().count(mbid) for mbid in wanted})

    async def many(
        self, level: Level, recordings: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], bytes]:
        """The stored ones among ``recordings`` (``(mbid, n)`` pairs), in their order."""
        wanted = list(recordings)
        return await self._run(lambda: self._many(level, wanted))

    def _many(self, level: Level, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], bytes]:
        found = {}
        for mbid, n in wanted:
            data = self._opened().get(mbid, level, n)
            if data is not None:
                found[mbid, n] = data
        return found

    def writer(self, *, min_samples: int = 200) -> FeatureWriter:
        """A blocking writer on a connection of its own, for the importer's thread."""
        return FeatureWriter(self.path, busy_timeout=self._busy_timeout, min_samples=min_samples)

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(FeatureStoreUnavailable):
            await self._run(self._close_file)
        self._closed = True
        self._thread.shutdown(wait=False)

    async def _run(self, call: Callable[[], _T]) -> _T:
        if self._closed:
            raise FeatureStoreUnavailable(f"AcousticBrainz archive {self.path} is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, call)
        except (sqlite3.Error, zstandard.ZstdError, OSError) as exc:
            raise FeatureStoreUnavailable(f"AcousticBrainz archive {self.path}: {exc}") from exc

    def _opened(self) -> _FeatureFile:
        if self._file is None:
            self._file = _FeatureFile(
                self.path, busy_timeout=self._busy_timeout, cache_kib=self._cache_kib
            )
        return self._file

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None


class FeatureWriter:
    """Blocking writes for the importer: batches of documents with the progress they make.

    ``min_samples``: documents of one level a batch must hold to train that level's
    dictionary (fewer: stored with plain zstd until a batch has enough). The writer may be
    handed from thread to thread, but used by one at a time.
    """

    def __init__(self, path: str, *, busy_timeout: float = 30.0, min_samples: int = 200) -> None:
        self._file = _FeatureFile(
            path, busy_timeout=busy_timeout, cache_kib=32768, one_thread=False
        )
        self._min_samples = min_samples

    def __enter__(self) -> FeatureWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def progress(self, source: str, size: int, mtime_ns: int) -> SourceProgress:
        """What an earlier run recorded for this very file, else a fresh start."""
        row = self._file.conn.execute(_PROGRESS, (source,)).fetchone()
        fresh = SourceProgress(source, size, mtime_ns)
        if row is None or (row[0], row[1]) != (size, mtime_ns):
            return fresh
        return SourceProgress(source, size, mtime_ns, row[2], bool(row[3]))

    def commit(self, documents: Sequence[StoredDocument], progress: SourceProgress) -> int:
        """Store the ``documents`` not stored yet and record ``progress``, all or nothing.

        Returns how many documents were new (a document already stored is kept as is).
        """
        try:
            with self._file.transaction() as conn:
                rows = self._rows(documents)  # may store a dictionary: not a document
                before = conn.total_changes
                conn.executemany(_INSERT, rows)
                added = conn.total_changes - before
                conn.execute(
                    _SAVE_PROGRESS,
                    (progress.source, progress.size, progress.mtime_ns, progress.members_done,
                     int(progress.finished), time.time()),
                )  # fmt: skip
        except BaseException:
            self._file.codecs.forget()  # a dictionary trained in it was rolled back too
            raise
        return added

    def _rows(
        self, documents: Sequence[StoredDocument]
    ) -> list[tuple[bytes, int, int, int, bytes]]:
        rows: list[tuple[bytes, int, int, int, bytes]] = []
        for level in {document.level for document in documents}:
            code = _LEVEL_CODES[level]
            of_level = [document for document in documents if document.level == level]
            codec, compress = self._file.codecs.compressor(
                code, [document.data for document in of_level], self._min_samples
            )
            rows.extend(
                (mbid_bytes(doc.mbid), code, doc.n, codec, compress(doc.data)) for doc in of_level
            )
        return rows

    def close(self) -> None:
        self._file.close()
