"""The access log, written the cheap way: one tuple per request, lines in batches.

A ``logging`` record per request (a LogRecord made, a caller looked up, a format applied,
a handler locked and flushed) costs a cached hit more than the hit itself. Here a request
leaves a tuple of its fields (:class:`AccessEntry`); every :data:`MAX_BATCH` entries
become lines, formatted in one go (a tight loop costs a fraction of the same lines made
one by one between requests, whose network work keeps evicting the formatting code from
the processor's caches; the cut at :data:`MAX_BATCH` keeps any batch from delaying the
requests behind it by more than a tenth of a millisecond), and every :data:`FLUSH_EVERY`
seconds what was formatted is handed on in one piece. Where it goes is
:func:`access_sink`'s choice, made once, when the app is built:

* under ``sleeve serve`` the root logger holds only sleeve's own handler
  (:func:`sleeve.observability.logs.configure_logging`): :class:`StreamSink` formats the
  lines exactly as that handler would (text or JSON) and a thread writes them, so a
  slow standard error (a pipe to a busy collector) never stalls the event loop. The
  thread is handed text a few times a second, not per batch: each hand-over passes the
  interpreter lock back and forth, and done hundreds of times a second under load those
  passes alone cost a tenth of the throughput and widen the latency tail. If that
  thread falls behind by :data:`MAX_QUEUED` hand-overs, they are dropped and counted, and
  the next line written says how many lines were lost.
* anywhere else (the app embedded in another server, or under a test's log capture),
  :class:`LoggingSink` hands each line to the ``sleeve.access`` logger at once, as
  before, so the logging configuration in place decides.

Whether a line is written at all is the ``sleeve.access`` logger's level, asked per
request (``server.log_level: warning`` turns the access log off).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import re
import threading
import time
from typing import NamedTuple

from .logs import SLEEVE_HANDLER

__all__ = [
    "AccessEntry",
    "AccessLines",
    "LoggingSink",
    "StreamSink",
    "access_sink",
    "message_of",
]

logger = logging.getLogger("sleeve.access")

FLUSH_EVERY = 0.05  # seconds a line may wait before it is handed to the writer
MAX_BATCH = 128  # entries formatted in one go
MAX_HELD = 256 << 10  # characters of formatted lines that are handed on early
MAX_QUEUED = 64  # hand-overs the writer thread may be behind before they are dropped

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class AccessEntry(NamedTuple):
    """One request, as its line says it."""

    created: float  # time.time() when it was answered
    method: str
    target: str  # path and query, credentials already redacted
    status: int
    duration_ms: float
    request_id: str
    operation: str
    cache: str
    client: str
    upstream_calls: int


def message_of(entry: AccessEntry) -> str:
    """The line's text; a control character in the target (a ``%0A`` in a path) is
    written escaped, so that no request can forge a line of its own."""
    target = entry.target
    if not target.isprintable():  # cheap; the rare path looks closer
        target = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", target)
    return (
        f'"{entry.method} {target}" {entry.status} {entry.duration_ms:.1f}ms '
        f"id={entry.request_id} op={entry.operation} cache={entry.cache} "
        f"client={entry.client} upstream_calls={entry.upstream_calls}"
    )


def _fields(entry: AccessEntry) -> dict[str, object]:
    return {
        "request_id": entry.request_id,
        "method": entry.method,
        "target": entry.target,
        "status": entry.status,
        "duration_ms": round(entry.duration_ms, 3),
        "operation": entry.operation,
        "cache": entry.cache,
        "client": entry.client,
        "upstream_calls": entry.upstream_calls,
    }


class LoggingSink:
    """Each line a ``sleeve.access`` record, with its fields as the record's extras, at
    once (in order with everything else logged: the logging in place is someone
    else's, and it is theirs to make cheap)."""

    def emit(self, entry: AccessEntry) -> None:
        record = logger.makeRecord(
            logger.name, logging.INFO, "(access)", 0, message_of(entry), (), None,
            extra=_fields(entry),
        )  # fmt: skip
        record.created = entry.created
        record.msecs = (entry.created - int(entry.created)) * 1000
        logger.handle(record)

    def close(self) -> None:
        return None


class StreamSink:
    """Lines formatted as :func:`~sleeve.observability.logs.formatter` would, written to
    ``handler``'s stream by a thread of their own (under the handler's lock, as its own
    writes are, so lines of the two never interleave)."""

    def __init__(
        self, handler: logging.StreamHandler, log_format: str, *, process: bool = False
    ) -> None:
        self._handler = handler
        self._json = log_format == "json"
        self._process = f"[{os.getpid()}] " if process else ""
        self._pid = os.getpid() if process else None
        self._second = -1
        self._stamp = ""
        self._queue: queue.Queue[tuple[str, int] | None] = queue.Queue(MAX_QUEUED)
        self._held: list[str] = []  # formatted, not yet handed to the writer
        self._held_lines = 0
        self._held_size = 0
        self._dropped = 0
        self._writer = threading.Thread(target=self._write_forever, name="sleeve-access-log")
        self._writer.daemon = True  # a stuck standard error must not hold the exit
        self._writer.start()

    def write(self, entries: list[AccessEntry]) -> None:
        """Format ``entries`` and hand everything held to the writer thread."""
        self.format(entries)
        self.send()

    def format(self, entries: list[AccessEntry]) -> None:
        """Make the lines of ``entries`` and hold them; handed on early past
        :data:`MAX_HELD` characters, so that what is held stays bounded."""
        line = self.line
        text = "".join([line(entry) for entry in entries])
        self._held.append(text)
        self._held_lines += len(entries)
        self._held_size += len(text)
        if self._held_size > MAX_HELD:
            self.send()

    def send(self) -> None:
        """Hand the held lines to the writer thread, or count them lost."""
        if not self._held:
            return
        text, lines = "".join(self._held), self._held_lines
        self._held, self._held_lines, self._held_size = [], 0, 0
        if self._dropped:
            text = self._dropped_line(time.time()) + text
        try:
            self._queue.put_nowait((text, lines))
        except queue.Full:
            self._dropped += lines
        else:
            self._dropped = 0

    def close(self) -> None:
        """Write what is held and queued, then stop the thread (bounded: a stuck stream
        is left)."""
        self.send()
        try:
            self._queue.put(None, timeout=1.0)
        except queue.Full:
            return
        self._writer.join(timeout=2.0)

    def line(self, entry: AccessEntry) -> str:
        stamp = self._timestamp(entry.created)
        if not self._json:
            return f"{stamp} INFO {self._process}sleeve.access: {message_of(entry)}\n"
        head: dict[str, object] = {
            "time": stamp,
            "level": "INFO",
            "logger": "sleeve.access",
            "message": message_of(entry),
        }
        if self._pid is not None:
            head["process"] = self._pid
        return json.dumps(head | _fields(entry)) + "\n"

    def _dropped_line(self, created: float) -> str:
        message = f"{self._dropped} access log lines were dropped: the log could not keep up"
        stamp = self._timestamp(created)
        if self._json:
            line: dict[str, object] = {"time": stamp, "level": "WARNING"}
            line |= {"logger": "sleeve.access", "message": message}
            return json.dumps(line) + "\n"
        return f"{stamp} WARNING {self._process}sleeve.access: {message}\n"

    def _timestamp(self, created: float) -> str:
        """logging's ``asctime`` (local time, milliseconds after a comma), one strftime a second."""
        second = int(created)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((created - second) * 1000):03d}"

    def _write_forever(self) -> None:
        handler = self._handler
        while (item := self._queue.get()) is not None:
            text = item[0]
            handler.acquire()
            try:
                handler.stream.write(text)
                handler.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: nowhere to say so
                pass
            finally:
                handler.release()


Sink = LoggingSink | StreamSink


def access_sink() -> Sink:
    """Write the lines ourselves when the root logger's one handler is sleeve's (the
    format it names), else through ``logging``."""
    root = logging.getLogger()
    handlers = root.handlers
    chain_is_plain = all(
        not logging.getLogger(name).handlers and logging.getLogger(name).propagate
        for name in ("sleeve", "sleeve.access")
    )
    if len(handlers) == 1 and chain_is_plain:
        handler = handlers[0]
        log_format = getattr(handler, SLEEVE_HANDLER, None)
        if log_format is not None and isinstance(handler, logging.StreamHandler):
            return StreamSink(handler, log_format[0], process=log_format[1])
    return LoggingSink()


class AccessLines:
    """Entries gathered on the event loop and made into lines by a :class:`StreamSink`
    in batches (or handed to a :class:`LoggingSink` one by one, at once)."""

    def __init__(self, sink: Sink | None = None) -> None:
        self._sink = sink if sink is not None else access_sink()
        self._pending: list[AccessEntry] = []
        self._flush_scheduled = False

    @staticmethod
    def enabled() -> bool:
        return logger.isEnabledFor(logging.INFO)

    def add(self, entry: AccessEntry) -> None:
        sink = self._sink
        if isinstance(sink, LoggingSink):
            sink.emit(entry)
            return
        pending = self._pending
        pending.append(entry)
        if len(pending) >= MAX_BATCH:
            self._pending = []
            sink.format(pending)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            try:
                asyncio.get_running_loop().call_later(FLUSH_EVERY, self._scheduled_flush)
            except RuntimeError:  # no loop (a synchronous caller): write at once
                self._flush_scheduled = False
                self.flush()

    def flush(self) -> None:
        """Every line so far to the writer."""
        entries, self._pending = self._pending, []
        if isinstance(self._sink, StreamSink):
            self._sink.write(entries)

    def close(self) -> None:
        self.flush()
        self._sink.close()

    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self.flush()
