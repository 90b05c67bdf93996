"""A writer killed (SIGKILL) in the middle of a ``put`` leaves no blob, only a temporary
file that readers ignore and ``sweep_temporaries`` removes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from sleeve.images.blob_store import BlobStore
from tests.images import blob_writer

pytestmark = pytest.mark.slow  # each test spawns a Python process to kill

SIZE = 8 << 20  # eight 1 MiB writes


def killed_while_putting(root: Path, stall_at: str) -> None:
    context = multiprocessing.get_context("spawn")
    stalled = context.Event()
    child = context.Process(
        target=blob_writer.put_and_stall, args=(str(root), SIZE, stall_at, stalled)
    )
    child.start()
    try:
        assert stalled.wait(timeout=30), "the writer never reached the point to be killed at"
    finally:
        child.kill()
        child.join(timeout=10)
    assert child.exitcode == -signal.SIGKILL


@pytest.mark.parametrize("stall_at", ["mid-write", "before-rename"])
async def test_a_writer_killed_during_put_leaves_no_blob(tmp_path: Path, stall_at: str) -> None:
    data = blob_writer.blob(SIZE)
    digest = hashlib.sha256(data).hexdigest()

    killed_while_putting(tmp_path, stall_at)

    [leftover] = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert leftover.parent == tmp_path / digest[:2] / digest[2:4]
    assert leftover.name.startswith(f"{digest}.tmp-")
    written = leftover.stat().st_size
    assert 0 < written < SIZE if stall_at == "mid-write" else written == SIZE

    store = BlobStore(tmp_path)
    assert await store.get(digest) is None
    assert await store.path(digest) is None
    assert await store.usage() == (0, 0)

    assert store.sweep_temporaries() == 0  # too recent: it could be a live writer's
    an_hour_ago = time.time() - 3700
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    assert store.sweep_temporaries() == 1
    assert not leftover.exists()

    assert await store.put(data) == digest
    assert await store.get(digest) == data
