"""Streaming reader of AcousticBrainz data dumps: one file at a time, memory flat.

The final dumps (2022-06-23) are zstd-compressed tar archives of JSON files named
``…/{mbid}-{n}.json`` (``n``: the submission offset, from 0), high-level and low-level in
separate archives (``acousticbrainz-highlevel-json-20220623-0.tar.zst``, members such as
``highlevel/ab/c1/abc1…-0.json``). Plain folders of such files, ``.tar`` and the other
compressions :mod:`tarfile` knows are read too.

Each file member becomes one item, in archive order: a :class:`DumpEntry` with its bytes,
or a :class:`SkippedMember` saying why it was passed over. Items are numbered from 1 in
that order, which is what an importer records to resume (``skip``).

A dump cut short (an interrupted download) raises :class:`DumpError` *after* every
complete member before the cut was yielded, so nothing read is lost. zstd and tar both
accept a truncated stream silently at some cut points (zstd yields what it could decode;
tar takes a missing header for the end), so completeness is checked the one way that
cannot be fooled: a complete tar stream ends with an all-zero end-of-archive block.
Damaged compressed data fails zstd's frame checksum (``zstd`` writes one by default), at
the latest when the frame ends; the documents themselves are each checked in full by
the importer, so damage inside one is caught there.
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import zstandard

__all__ = [
    "MAX_MEMBER_BYTES",
    "DumpEntry",
    "DumpError",
    "DumpItem",
    "Level",
    "SkippedMember",
    "level_from_names",
    "read_source",
]

Level = Literal["lowlevel", "highlevel"]

#: Low-level documents are about 100 KB; anything this large is not one.
MAX_MEMBER_BYTES = 64 << 20

_MEMBER_NAME = re.compile(
    r"(?:^|/)(?P<mbid>[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})-(?P<n>\d{1,9})\.json$"
)
_LEVEL_WORD = re.compile(r"(high|low)[-_ ]?level", re.IGNORECASE)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_Reader = Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class DumpEntry:
    """One ``{mbid}-{n}.json`` file: ``level`` as its path says (None when it does not)."""

    name: str
    level: Level | None
    mbid: str
    n: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SkippedMember:
    """A file that is not a document: a foreign name (``bad`` False: README, licence, …)
    or a member too large to be one (``bad`` True)."""

    name: str
    reason: str
    bad: bool = False


DumpItem = DumpEntry | SkippedMember


class DumpError(Exception):
    """The dump cannot be read to its end (truncated, corrupt or unreadable)."""


def level_from_names(*names: str) -> Level | None:
    """The level named by the first of ``names`` whose path components say one.

    Pass the most specific name first (a member's path, then the archive's file name):
    ``highlevel/ab/c1/…`` or ``acousticbrainz-lowlevel-json-20220623-3.tar.zst``.
    """
    for name in names:
        for component in reversed(re.split(r"[/\\]", name)):
            found = _LEVEL_WORD.search(component)
            if found:
                return "highlevel" if found.group(1).lower() == "high" else "lowlevel"
    return None


def read_source(path: str | os.PathLike[str], *, skip: int = 0) -> Iterator[DumpItem]:
    """Every file of the dump at ``path`` (an archive or a folder), after the first ``skip``.

    The skipped members are passed over without being returned; in a compressed archive
    they are still decompressed (a stream cannot seek), but not parsed or copied.
    """
    source = Path(path)
    if source.is_dir():
        yield from _folder_items(source, skip)
    else:
        yield from _archive_items(source, skip)


def _item(name: str, context: str, size: int, read: _Reader) -> DumpItem:
    match = _MEMBER_NAME.search(name)
    if match is None:
        return SkippedMember(name, "name is not {mbid}-{n}.json")
    if size > MAX_MEMBER_BYTES:
        return SkippedMember(name, f"{size} bytes, more than a document can be", bad=True)
    level = level_from_names(name, context)
    return DumpEntry(name, level, match["mbid"].lower(), int(match["n"]), read())


def _folder_items(root: Path, skip: int) -> Iterator[DumpItem]:
    for index, file in enumerate(_files_in_order(root), start=1):
        if index <= skip:
            continue
        name = file.relative_to(root).as_posix()
        try:
            size = file.stat().st_size
            yield _item(name, root.name, size, file.read_bytes)
        except OSError as exc:
            raise DumpError(f"{file}: {exc.strerror or exc}") from exc


def _files_in_order(folder: Path) -> Iterator[Path]:
    """Files under ``folder``, depth first in name order: the same order every run."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _files_in_order(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.path)


class _CountingReader:
    """Counts the bytes the tar reader takes, to find out afterwards whether it stopped at
    the end-of-archive block or at the end of a cut stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.consumed += len(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 16):
            pass


def _archive_items(path: Path, skip: int) -> Iterator[DumpItem]:
    try:
        with path.open("rb") as raw:
            yield from _tar_items(path, raw, skip)
    except (tarfile.TarError, zstandard.ZstdError, OSError, EOFError) as exc:
        raise DumpError(f"{path}: {exc}") from exc


def _tar_items(path: Path, raw: IO[bytes], skip: int) -> Iterator[DumpItem]:
    compressed = raw.read(4) == _ZSTD_MAGIC
    raw.seek(0)
    stream: IO[bytes] = raw
    if compressed:
        decompressor = zstandard.ZstdDecompressor(max_window_size=1 << 31)
        stream = decompressor.stream_reader(raw, read_across_frames=True)  # type: ignore[assignment]
    counted = _CountingReader(stream)
    mode = "r|" if compressed else "r|*"
    with tarfile.open(fileobj=counted, mode=mode) as tar:  # type: ignore[call-overload]
        yield from _members(tar, path.name, skip)
        _check_complete(path, tar, counted)


def _members(tar: tarfile.TarFile, context: str, skip: int) -> Iterator[DumpItem]:
    index = 0
    while (member := tar.next()) is not None:
        tar.members.clear()  # type: ignore[attr-defined]  # stream mode keeps every member
        if not member.isfile():
            continue
        index += 1
        if index > skip:
            yield _item(member.name, context, member.size, _member_reader(tar, member))


def _member_reader(tar: tarfile.TarFile, member: tarfile.TarInfo) -> _Reader:
    def read() -> bytes:
        extracted = tar.extractfile(member)
        assert extracted is not None  # a regular file always has a reader
        data = extracted.read()
        if len(data) != member.size:
            raise tarfile.ReadError(f"{member.name}: unexpected end of data")
        return data

    return read


def _check_complete(path: Path, tar: tarfile.TarFile, counted: _CountingReader) -> None:
    """Raise unless the stream holds the zero block that ends a tar archive.

    ``tar.offset`` is where the reader looked for the next header; a complete archive
    has at least one whole 512-byte block there.
    """
    counted.drain()
    if counted.consumed - tar.offset < tarfile.BLOCKSIZE:
        raise DumpError(
            f"{path}: the archive ends early (truncated after {tar.offset} bytes of tar data)"
        )
