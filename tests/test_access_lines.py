"""The access log's batched writer: the lines ``logging`` would have written, none lost
silently, and no line a request can forge."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterator

import pytest

from sleeve.observability import access_lines
from sleeve.observability.access_lines import (
    MAX_BATCH,
    AccessEntry,
    AccessLines,
    LoggingSink,
    StreamSink,
    access_sink,
    message_of,
)
from sleeve.observability.logs import configure_logging, formatter

ENTRY = AccessEntry(
    1_764_590_400.25, "GET", "/artists/1?page=2", 200, 0.42, "id-1", "getArtist", "hit",
    "address:10.0.0.7", 0,
)  # fmt: skip


def written(log_format: str, *, process: bool, entries: list[AccessEntry]) -> str:
    stream = io.StringIO()
    sink = StreamSink(logging.StreamHandler(stream), log_format, process=process)
    sink.write(entries)
    sink.close()
    return stream.getvalue()


def as_logging_writes(log_format: str, *, process: bool, entry: AccessEntry) -> str:
    """The line the ``logging`` handler ``configure_logging`` installs makes of ``entry``."""
    records: list[logging.LogRecord] = []
    logger = logging.getLogger("sleeve.access")
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        LoggingSink().emit(entry)
    finally:
        logger.removeHandler(handler)
    return formatter(log_format, process=process).format(records[0]) + "\n"


@pytest.fixture
def access_logger_at_info() -> Iterator[None]:
    logger = logging.getLogger("sleeve.access")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the test's records stay here
    yield
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.mark.parametrize("process", [False, True])
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_line_is_what_the_log_handler_would_write(
    log_format: str, process: bool, access_logger_at_info: None
) -> None:
    ours = written(log_format, process=process, entries=[ENTRY])
    assert ours == as_logging_writes(log_format, process=process, entry=ENTRY)
    if log_format == "json":
        fields = json.loads(ours)
        assert (fields["logger"], fields["status"], fields["cache"]) == (
            "sleeve.access",
            200,
            "hit",
        )


def test_a_control_character_in_a_path_cannot_start_a_line_of_its_own() -> None:
    forged = ENTRY._replace(
        target='/artists/1\n2026-12-01 00:00:00,000 INFO sleeve.access: "GET /x"'
    )
    text = written("text", process=False, entries=[forged])
    assert text.count("\n") == 1 and "\\x0a2026-12-01" in text
    fields = json.loads(written("json", process=False, entries=[forged]))
    assert fields["target"] == forged.target  # JSON escapes it itself
    assert "\n" not in message_of(forged)


def test_a_log_that_cannot_keep_up_loses_lines_counted_never_the_loop() -> None:
    """A writer stuck on a full pipe: batches queue up to a bound, the rest are dropped
    and counted, and the next line written says how many; every line is one or the other."""
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    sink = StreamSink(logging.StreamHandler(stream), "text")
    batch = [ENTRY._replace(request_id=f"id-{n}") for n in range(40)]  # ~6 KB a batch
    batches = 0
    started = time.monotonic()
    while sink._dropped == 0:  # the writer blocks on the pipe, the queue fills up
        sink.write(batch)
        batches += 1
        assert time.monotonic() - started < 10, "nothing was ever dropped"
    dropped = sink._dropped
    received: list[bytes] = []
    reader = threading.Thread(
        target=lambda: received.extend(iter(lambda: os.read(read_end, 65536), b""))
    )
    reader.start()
    while sink._queue.full():  # the pipe drains, the writer takes the next batch
        time.sleep(0.01)
    sink.write(batch[:1])  # carries the count
    sink.close()
    stream.close()
    reader.join(10)
    os.close(read_end)
    lines = b"".join(received).decode().splitlines()
    (notice,) = [line for line in lines if "dropped" in line]
    assert f" WARNING sleeve.access: {dropped} access log lines were dropped" in notice
    assert len(lines) - 1 + dropped == batches * len(batch) + 1


async def test_lines_wait_at_most_a_flush_interval_or_a_full_batch() -> None:
    stream = io.StringIO()
    sink = StreamSink(logging.StreamHandler(stream), "text")
    lines = AccessLines(sink)
    lines.add(ENTRY)
    assert stream.getvalue() == ""
    for _ in range(100):  # a guard against a hang: 5 s
        await asyncio.sleep(access_lines.FLUSH_EVERY)
        if stream.getvalue():
            break
    assert stream.getvalue().count("\n") == 1
    for _ in range(MAX_BATCH):
        lines.add(ENTRY)  # formatted at once, in one batch, and handed on at the interval
    assert sink._held_lines == MAX_BATCH
    for _ in range(100):
        await asyncio.sleep(access_lines.FLUSH_EVERY)
        if stream.getvalue().count("\n") == 1 + MAX_BATCH:
            break
    assert stream.getvalue().count("\n") == 1 + MAX_BATCH
    lines.close()


def test_sleeve_writes_its_lines_itself_only_where_the_logging_is_its_own() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", "json", process=True)
        root.handlers[0].setStream(io.StringIO())
        own = access_sink()
        assert isinstance(own, StreamSink)
        own.close()
        root.addHandler(logging.NullHandler())  # someone else's handler too
        assert isinstance(access_sink(), LoggingSink)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
