"""What one request did, noted as it goes and read once when it ends.

The edge (:mod:`sleeve.edge.access_log`) opens a :class:`RequestRecord` for every HTTP
request and puts it in a context variable; whatever runs for the request (the fast path,
the answer cache, an upstream's gate) notes on it what it did, without being handed
anything; the edge then logs the record and counts it. Work that outlives the request (a
background refresh) runs :func:`detached`, so that its upstream calls are not charged to
a request that is already over.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = [
    "RequestRecord",
    "current",
    "detached",
    "new_request_id",
    "note_cache",
    "note_operation",
    "note_upstream_call",
    "open_record",
    "request_id_from",
]

#: A client's ``X-Request-Id`` is kept if it is this: short, and nothing a log line or a
#: header could be broken with (no spaces, quotes, control characters or ``=``).
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:/+-]{1,128}")


@dataclass(slots=True)
class RequestRecord:
    """``cache``: the cache outcomes of the request, in order (an image is a release's
    lookup, then the image); ``upstream_calls``: attempts made upstream for it."""

    id: str
    operation: str | None = None
    cache: list[str] = field(default_factory=list)
    upstream_calls: int = 0


_current: ContextVar[RequestRecord | None] = ContextVar("sleeve_request", default=None)


def current() -> RequestRecord | None:
    return _current.get()


def open_record(request_id: str) -> RequestRecord:
    """A new record for this context (the edge's request task)."""
    record = RequestRecord(request_id)
    _current.set(record)
    return record


# Unique across processes (a random prefix per process) and cheap (no randomness per
# request): ids are for finding a request's lines, not secrets.
_PREFIX = secrets.token_hex(4)
_SEQUENCE = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}-{next(_SEQUENCE):x}"


def request_id_from(value: bytes | None) -> str:
    """The client's id when it is sane, else a new one."""
    if value is not None and SANE_REQUEST_ID.fullmatch(value):
        return value.decode("ascii")
    return new_request_id()


def note_cache(outcome: str) -> None:
    record = _current.get()
    if record is not None:
        record.cache.append(outcome)


def note_operation(operation: str) -> None:
    record = _current.get()
    if record is not None:
        record.operation = operation


def note_upstream_call() -> None:
    record = _current.get()
    if record is not None:
        record.upstream_calls += 1


@contextmanager
def detached() -> Iterator[None]:
    """Run the block as nobody's request (for work started by one that outlives it)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
