"""What a writer process does in the crash tests: start a ``put`` and stall at a chosen point.

Module-level functions, so ``multiprocessing`` (spawn) can import them in a fresh child.
The parent kills the stalled child with SIGKILL: nothing in ``BlobStore`` gets to clean
up, as after the OOM killer or a power cut.
"""

from __future__ import annotations

import asyncio
import pathlib
import random
import sys
import threading
import time
from multiprocessing.synchronize import Event
from types import FrameType
from typing import Any

import sleeve.images.blob_store
from sleeve.images.blob_store import BlobStore

_BLOB_STORE_SOURCE = sleeve.images.blob_store.__file__


def blob(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def put_and_stall(root: str, size: int, stall_at: str, stalled: Event) -> None:
    """Put ``blob(size)``, stalling ``"mid-write"`` or ``"before-rename"`` until killed.

    Mid-write: at the first line of ``blob_store`` run while its temporary file holds some
    but not all of the bytes. Before the rename: when ``os.replace`` is about to move the
    complete temporary file into place (its audit event).
    """
    if stall_at == "mid-write":
        _stall_mid_write(pathlib.Path(root), size, stalled)
    else:
        _stall_before_rename(stalled)
    asyncio.run(BlobStore(root).put(blob(size)))


def _stall(stalled: Event) -> None:
    stalled.set()
    time.sleep(60)


def _stall_before_rename(stalled: Event) -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "os.rename" and ".tmp-" in str(args[0]):
            _stall(stalled)

    sys.addaudithook(hook)


def _stall_mid_write(root: pathlib.Path, size: int, stalled: Event) -> None:
    def partly_written() -> bool:
        return any(0 < file.stat().st_size < size for file in root.glob("??/??/*.tmp-*"))

    def each_line(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line" and partly_written():
            _stall(stalled)
        return each_line

    def each_call(frame: FrameType, event: str, arg: object) -> Any:
        return each_line if frame.f_code.co_filename == _BLOB_STORE_SOURCE else None

    threading.settrace(each_call)  # put's work runs in a thread (asyncio.to_thread)
    sys.settrace(each_call)
