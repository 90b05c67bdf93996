"""BlobStore on real files: naming, layout, idempotence, verification, bad digests."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import sleeve.images.blob_store
import sleeve.images.formats
from sleeve.images.blob_store import BlobStore

DATA = b"\xff\xd8\xff not really a JPEG, but bytes are bytes" * 100
DIGEST = hashlib.sha256(DATA).hexdigest()

# Filesystem audit events (PEP 578). ``os.stat`` raises none, so a stat goes unseen.
_FILE_EVENTS = {"open", "os.listdir", "os.scandir", "os.mkdir", "os.remove", "os.rename"}
_recording: list[tuple[str, str]] | None = None


def _record(event: str, args: tuple[Any, ...]) -> None:
    if _recording is None or event not in _FILE_EVENTS:
        return
    thread = threading.current_thread()
    if thread is threading.main_thread() or thread.name.startswith("asyncio"):
        _recording.append((event, str(args[0])))


sys.addaudithook(_record)  # hooks cannot be removed; it records only inside file_events()


@contextmanager
def file_events() -> Iterator[list[tuple[str, str]]]:
    """The files this test's code (the loop's thread and its executor) opens, lists or changes."""
    global _recording
    events: list[tuple[str, str]] = []
    _recording = events
    try:
        yield events
    finally:
        _recording = None


def test_public_names() -> None:
    assert sleeve.images.blob_store.__all__ == ["BlobStore"]
    assert sorted(sleeve.images.formats.__all__) == [
        "IMAGE_TYPES",
        "NotAnImage",
        "SIZES",
        "sniff",
        "thumbnail",
    ]


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def test_put_names_the_bytes_by_their_sha256_and_get_returns_them(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    assert await store.put(DATA) == DIGEST
    assert await store.get(DIGEST) == DATA


async def test_a_blob_lives_at_root_ab_cd_digest_and_nothing_else_remains(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    await store.put(DATA)
    assert files_under(tmp_path) == [f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}"]
    assert (tmp_path / DIGEST[:2] / DIGEST[2:4] / DIGEST).read_bytes() == DATA


async def test_putting_the_same_bytes_again_writes_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    await store.put(DATA)
    file = tmp_path / DIGEST[:2] / DIGEST[2:4] / DIGEST
    before = file.stat()
    assert await BlobStore(tmp_path).put(DATA) == DIGEST  # another process, say
    after = file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files_under(tmp_path) == [f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}"]


async def test_concurrent_puts_of_the_same_bytes_leave_one_file(tmp_path: Path) -> None:
    stores = [BlobStore(tmp_path) for _ in range(8)]
    digests = await asyncio.gather(*(store.put(DATA) for store in stores))
    assert set(digests) == {DIGEST}
    assert files_under(tmp_path) == [f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}"]


async def test_absent_blobs(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "never-created")
    assert await store.get(DIGEST) is None
    assert await store.path(DIGEST) is None
    assert await store.delete(DIGEST) is False
    assert await store.usage() == (0, 0)
    assert store.sweep_temporaries() == 0


async def test_delete(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    await store.put(DATA)
    assert await store.path(DIGEST) is not None
    assert await store.delete(DIGEST) is True
    assert await store.get(DIGEST) is None
    assert await store.path(DIGEST) is None
    assert await store.delete(DIGEST) is False


async def test_path_gives_the_file_with_the_bytes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    await store.put(DATA)
    path = await store.path(DIGEST)
    assert path == tmp_path / DIGEST[:2] / DIGEST[2:4] / DIGEST
    assert path.read_bytes() == DATA


def write_under_name(root: Path, digest: str, content: bytes) -> Path:
    file = root / digest[:2] / digest[2:4] / digest
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    return file


@pytest.mark.parametrize("read", ["get", "path"])
async def test_garbage_under_a_digest_name_is_never_served_and_is_deleted(
    tmp_path: Path, read: str
) -> None:
    file = write_under_name(tmp_path, DIGEST, b"garbage")
    store = BlobStore(tmp_path)
    assert await getattr(store, read)(DIGEST) is None
    assert not file.exists()


async def test_a_file_damaged_after_it_was_verified_is_verified_again(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    await store.put(DATA)
    path = await store.path(DIGEST)
    assert path is not None
    path.write_bytes(DATA[:-1] + b"!")  # same size, same inode, new mtime
    os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns + 1))
    assert await store.path(DIGEST) is None
    assert not path.exists()


async def test_put_repairs_a_corrupt_blob(tmp_path: Path) -> None:
    file = write_under_name(tmp_path, DIGEST, b"garbage")
    store = BlobStore(tmp_path)
    assert await store.put(DATA) == DIGEST
    assert file.read_bytes() == DATA


async def test_path_hashes_each_file_once_then_only_stats_it(tmp_path: Path) -> None:
    await BlobStore(tmp_path).put(DATA)
    store = BlobStore(tmp_path)
    with file_events() as events:
        assert await store.path(DIGEST) is not None
    assert ("open", str(tmp_path / DIGEST[:2] / DIGEST[2:4] / DIGEST)) in events
    with file_events() as events:
        for _ in range(3):
            assert await store.path(DIGEST) is not None
    assert events == []


async def test_the_memory_of_verified_files_is_bounded(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, verified_max=2)
    first, second, third = [await store.put(bytes([n]) * 1000) for n in range(3)]
    with file_events() as events:
        for digest in (second, third):
            assert await store.path(digest) is not None
    assert events == []
    with file_events() as events:
        assert await store.path(first) is not None
    assert [event for event, _ in events] == ["open"]
    assert len(store._verified) == 2


BAD_DIGESTS = [
    "../x",
    "../../../etc/passwd",
    "/etc/passwd",
    "",
    DIGEST.upper(),
    DIGEST[:63],
    DIGEST + "0",
    DIGEST + "\n",
    DIGEST[:62] + "/.",
    "g" * 64,
    f"{DIGEST}.tmp-00",
]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
@pytest.mark.parametrize("method", ["get", "path", "delete"])
async def test_bad_digests_are_refused_before_any_file_is_touched(
    tmp_path: Path, method: str, digest: str
) -> None:
    (tmp_path / "x").write_bytes(b"outside the store")
    store = BlobStore(tmp_path / "blobs")
    with file_events() as events, pytest.raises(ValueError, match="SHA-256"):
        await getattr(store, method)(digest)
    assert events == []
    assert (tmp_path / "x").read_bytes() == b"outside the store"
    assert not (tmp_path / "blobs").exists()


async def test_usage_counts_blobs_not_temporaries(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    blobs = [b"a" * 10, b"b" * 200, b"c" * 3000]
    for data in blobs:
        await store.put(data)
    write_under_name(tmp_path, DIGEST + ".tmp-0123abcd", b"half a blob")
    assert await store.usage() == (3, 3210)


def test_sweep_removes_old_temporaries_only(tmp_path: Path) -> None:
    old = write_under_name(tmp_path, DIGEST + ".tmp-0123abcd", b"left by a crash")
    fresh = write_under_name(tmp_path, DIGEST + ".tmp-4567ef01", b"a writer at work")
    blob = write_under_name(tmp_path, DIGEST, DATA)
    other = write_under_name(tmp_path, "notes.tmp-x", b"not ours")
    an_hour_ago = time.time() - 3700
    for file in (old, blob, other):
        os.utime(file, (an_hour_ago, an_hour_ago))
    store = BlobStore(tmp_path)
    assert store.sweep_temporaries() == 1
    assert not old.exists()
    assert fresh.exists() and blob.exists() and other.exists()
    assert store.sweep_temporaries(older_than=0) == 1
    assert not fresh.exists()
