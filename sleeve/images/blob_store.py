"""Image bytes on disk under their SHA-256: written once, whole, and never served corrupt.

Layout: ``root/ab/cd/abcd…`` (the digest's first two byte pairs as directories, so none
holds more than a few thousand entries however many images there are).

A ``put`` writes ``<digest>.tmp-<random>`` beside the final name, fsyncs it, drops it
from the page cache and reads it back (so the check reads what reached the disk where the
kernel allows), renames it into place (atomic on POSIX) and fsyncs the directory so the
name survives a power cut. A writer killed at any moment leaves at most a temporary file,
which readers never open and ``sweep_temporaries`` removes; a blob appears whole or not
at all. Bytes damaged later (disk, operator) no longer hash to their name: ``get`` hashes
every read and ``path`` each new version of a file, and both delete what does not match.

Every filesystem call runs in a thread (``asyncio.to_thread``); the event loop never
waits on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import io
import logging
import os
import pathlib
import re
import secrets
import threading
import time
from collections import OrderedDict

__all__ = ["BlobStore"]

logger = logging.getLogger("sleeve.images")

_DIGEST = re.compile(r"[0-9a-f]{64}")
_TEMPORARY = ".tmp-"
_TEMPORARY_NAME = re.compile(r"[0-9a-f]{64}\.tmp-[0-9a-f]+")
_CHUNK = 1 << 20

# A file as last verified: device, inode, size and modification time. A file changed or
# replaced since has another and is verified again.
_Identity = tuple[int, int, int, int]


class BlobStore:
    """Image bytes under their SHA-256, in a directory tree (``root/ab/cd/<hex>``)."""

    def __init__(self, root: str | os.PathLike[str], *, verified_max: int = 16_384) -> None:
        self._root = pathlib.Path(root)
        self._verified: OrderedDict[str, _Identity] = OrderedDict()
        self._verified_max = verified_max
        self._verified_lock = threading.Lock()

    async def put(self, data: bytes) -> str:
        """Store ``data``; its hex digest. Storing bytes already there writes nothing."""
        return await asyncio.to_thread(self._put, data)

    async def get(self, digest: str) -> bytes | None:
        """The bytes stored under ``digest``, or None (absent, or corrupt and now deleted)."""
        file = self._file(digest)
        return await asyncio.to_thread(self._get, file, digest)

    async def path(self, digest: str) -> pathlib.Path | None:
        """The file holding ``digest``'s bytes, for streaming, or None.

        The content is hashed the first time this process is asked for that version of
        the file (then remembered, within ``verified_max`` digests); later calls cost a stat.
        """
        file = self._file(digest)
        return await asyncio.to_thread(self._verified_path, file, digest)

    async def delete(self, digest: str) -> bool:
        """Remove ``digest``'s file; whether there was one."""
        file = self._file(digest)
        return await asyncio.to_thread(self._delete, file, digest)

    async def usage(self) -> tuple[int, int]:
        """(files, bytes) of the stored blobs, temporary files not counted. Walks the tree."""
        return await asyncio.to_thread(self._usage)

    def sweep_temporaries(self, older_than: float = 3600) -> int:
        """Delete temporary files untouched for ``older_than`` seconds; how many.

        They are what crashed writers leave. Call it at start-up; the age spares the files
        of writers in other processes still at work. Blocks.
        """
        cutoff = time.time() - older_than
        swept = 0
        for file in self._root.glob(f"??/??/*{_TEMPORARY}*"):
            if not _TEMPORARY_NAME.fullmatch(file.name):
                continue
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mtime <= cutoff:
                    file.unlink()
                    swept += 1
        return swept

    def _file(self, digest: str) -> pathlib.Path:
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
        return self._root / digest[:2] / digest[2:4] / digest

    def _put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        file = self._file(digest)
        if self._verified_path(file, digest) is not None:
            return digest
        self._make_directories(file.parent)
        temporary = file.with_name(f"{digest}{_TEMPORARY}{secrets.token_hex(8)}")
        try:
            _write(temporary, data)
            if _digest_of_file(temporary) != digest:
                raise OSError(errno.EIO, "a blob read back differently from how it was written")
            os.replace(temporary, file)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        _fsync_directory(file.parent)
        self._remember(digest, _identity(file.stat()))
        return digest

    def _get(self, file: pathlib.Path, digest: str) -> bytes | None:
        try:
            with open(file, "rb") as f:
                data = f.read()
                identity = _identity(os.fstat(f.fileno()))
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            self._discard(file, identity)
            return None
        self._remember(digest, identity)
        return data

    def _verified_path(self, file: pathlib.Path, digest: str) -> pathlib.Path | None:
        try:
            if self._is_remembered(digest, _identity(file.stat())):
                return file
            with open(file, "rb") as f:
                intact = _digest_of(f) == digest
                identity = _identity(os.fstat(f.fileno()))
        except FileNotFoundError:
            return None
        if not intact:
            self._discard(file, identity)
            return None
        self._remember(digest, identity)
        return file

    def _delete(self, file: pathlib.Path, digest: str) -> bool:
        with self._verified_lock:
            self._verified.pop(digest, None)
        try:
            file.unlink()
        except FileNotFoundError:
            return False
        return True

    def _discard(self, file: pathlib.Path, identity: _Identity) -> None:
        """Delete a corrupt file, unless a writer has just renamed a good one over it."""
        with self._verified_lock:
            self._verified.pop(file.name, None)
        with contextlib.suppress(FileNotFoundError):
            if _identity(file.stat())[:2] == identity[:2]:
                file.unlink()
                logger.warning("deleted image blob %s: its bytes do not match its name", file)

    def _usage(self) -> tuple[int, int]:
        files = size = 0
        for file in self._root.glob("??/??/*"):
            if _DIGEST.fullmatch(file.name):
                with contextlib.suppress(FileNotFoundError):
                    size += file.stat().st_size
                    files += 1
        return files, size

    def _make_directories(self, directory: pathlib.Path) -> None:
        """Create the root and shard directories that are missing, durably."""
        for level in (self._root, directory.parent, directory):
            try:
                level.mkdir(parents=level == self._root)
            except FileExistsError:
                continue
            _fsync_directory(level.parent)

    def _is_remembered(self, digest: str, identity: _Identity) -> bool:
        with self._verified_lock:
            if self._verified.get(digest) != identity:
                return False
            self._verified.move_to_end(digest)
            return True

    def _remember(self, digest: str, identity: _Identity) -> None:
        with self._verified_lock:
            self._verified[digest] = identity
            self._verified.move_to_end(digest)
            while len(self._verified) > self._verified_max:
                self._verified.popitem(last=False)


def _write(path: pathlib.Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view[:_CHUNK]) :]
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):  # the read-back then comes from the disk
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _digest_of_file(path: pathlib.Path) -> str:
    with open(path, "rb") as f:
        return _digest_of(f)


def _digest_of(f: io.BufferedReader) -> str:
    return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync_directory(directory: pathlib.Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _identity(stat: os.stat_result) -> _Identity:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns
