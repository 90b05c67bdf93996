"""Whose call this is, and how long it may wait for an upstream slot.

Priority: a client waiting for its answer, or background work (stale refreshes,
pre-warming); the upstream gate serves clients first. Patience: how long the caller is
willing to wait, shorter than the gate's own maximum when a stale answer is there to
fall back on. Context variables, because the work runs in tasks that inherit them and
nothing in between needs to know.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from contextvars import ContextVar, Token


class Priority(enum.Enum):
    CLIENT = "client"
    BACKGROUND = "background"


_current: ContextVar[Priority] = ContextVar("sleeve_priority", default=Priority.CLIENT)


def current_priority() -> Priority:
    return _current.get()


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Everything started inside runs at background priority."""
    token = _current.set(Priority.BACKGROUND)
    try:
        yield
    finally:
        _current.reset(token)


_patience: ContextVar[float | None] = ContextVar("sleeve_patience", default=None)


def current_patience() -> float | None:
    """Seconds the caller will wait for a slot, if it set a limit of its own."""
    return _patience.get()


@contextlib.contextmanager
def patience(seconds: float) -> Iterator[None]:
    """Upstream calls inside wait at most ``seconds`` for a slot or a retry."""
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


_client: ContextVar[str] = ContextVar("sleeve_client", default="")


def current_client() -> str:
    """Who the upstream call is for (a client's identity; empty when nobody said): the
    gate's line is fair between clients (:mod:`.turns`)."""
    return _client.get()


def on_behalf_of(client: str) -> Token[str]:
    """Upstream calls from here on (in this task and those it starts) are ``client``'s,
    until :func:`done_on_behalf` with the token. Plain calls, not a context manager: this
    runs on every request, cached hits included."""
    return _client.set(client)


def done_on_behalf(token: Token[str]) -> None:
    _client.reset(token)
