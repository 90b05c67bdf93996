"""Rendered answers, remembered per process so that a repeat costs almost nothing.

When an answer from the cache goes out, the bytes the client got (URLs already pointed
at sleeve) are remembered under the request's *fast key*, which the edge's fast path
(:mod:`sleeve.edge.hot_path`) computes from every input the contract validates and leaves
in the request's scope; an identical repeat is then answered from here without running
routing, validation, the handler or the rendering again. An answer is kept only while it
is fresh, and never longer than ``max_age`` seconds, so a purge or a refresh made by
another process shows within that (plus the time the re-check below takes).

When an answer reaches its ``max_age``, one request re-checks it: that request goes the
usual way (the store, the handler) and its answer replaces the remembered one, while the
requests that arrive meanwhile are still answered from memory, for at most another
``max_age`` and never past the answer's freshness. Without this, every request arriving
in the instant after the deadline would take the long way together, a stall seen in the
99th percentile every ``max_age`` seconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from .keys import Kind

__all__ = ["ENTRY_OVERHEAD", "FAST_KEY", "RenderedAnswer", "RenderedAnswers"]

#: Where in ``scope["state"]`` the edge leaves a request's fast key (absent: not eligible).
FAST_KEY = "sleeve.fast_key"


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """A 200 exactly as it was sent, less the headers that change with time."""

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    etag: str
    stored_at: float
    fresh_until: float
    serve_until: float
    kind: Kind
    operation: str = ""  # the operationId that made it, for the repeat's log and metrics
    #: ``headers`` as they go on the wire (``name: value`` lines), for the edge's front.
    head: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines = b"".join(b"%s: %s\r\n" % header for header in self.headers)
        object.__setattr__(self, "head", lines)


#: What an entry costs beyond its bytes (the dict slot, the objects): a rough, fair share.
ENTRY_OVERHEAD = 400
# Expired entries dropped per remember, from the least recently used end: a few, so that
# no single request pays for a long sweep, and more than arrive, so they cannot pile up.
_SWEEP = 8


class RenderedAnswers:
    """An in-process map from fast keys to rendered answers, least recently used out
    first, bounded in entries and in bytes — whole entries: key, headers and body (a tiny
    answer under a long key is not free) — and swept of what has expired."""

    def __init__(
        self, *, max_bytes: int = 64 << 20, max_entries: int = 20_000, max_age: float = 5.0
    ) -> None:
        # key → (answer, its cost, whether a request is re-checking it)
        self._entries: OrderedDict[Hashable, tuple[RenderedAnswer, int, bool]] = OrderedDict()
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._bytes = 0
        self.max_age = max_age

    @property
    def size(self) -> tuple[int, int]:
        """``(entries, bytes)`` held now."""
        return len(self._entries), self._bytes

    def remember(self, key: Hashable, answer: RenderedAnswer, now: float) -> None:
        self._forget(key)
        cost = _cost(key, answer)
        self._entries[key] = (answer, cost, False)
        self._bytes += cost
        self._sweep(now)
        while self._bytes > self._max_bytes or len(self._entries) > self._max_entries:
            self._forget(next(iter(self._entries)))

    def recall(self, key: Hashable, now: float) -> RenderedAnswer | None:
        """The answer under ``key``; ``None`` when there is none, or for the one request
        that re-checks an answer past its ``serve_until`` (the others get the answer)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        answer = entry[0]
        if now >= answer.serve_until:
            if now >= min(answer.fresh_until, answer.serve_until + self.max_age):
                self._forget(key)
                return None
            if not entry[2]:  # this request re-checks; its answer will replace this one
                self._entries[key] = (answer, entry[1], True)
                return None
        self._entries.move_to_end(key)
        return answer

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _sweep(self, now: float) -> None:
        for key in [key for key, _ in zip(self._entries, range(_SWEEP), strict=False)]:
            answer = self._entries[key][0]
            if min(answer.fresh_until, answer.serve_until + self.max_age) <= now:
                self._forget(key)

    def _forget(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[1]


def _cost(key: Hashable, answer: RenderedAnswer) -> int:
    parts = key if isinstance(key, tuple) else (key,)
    key_bytes = sum(len(part) for part in parts if isinstance(part, bytes | str))
    header_bytes = sum(len(name) + len(value) for name, value in answer.headers)
    return ENTRY_OVERHEAD + key_bytes + header_bytes + len(answer.body)
