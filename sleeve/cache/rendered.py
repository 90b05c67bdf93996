"""Rendered answers, remembered per process so that a repeat costs almost nothing.

When an answer from the cache goes out, the bytes the client got (URLs already pointed
at sleeve) are remembered under the request's *fast key*, which the edge's fast path
(:mod:`sleeve.edge.hot_path`) computes from every input the contract validates and leaves
in the request's scope; an identical repeat is then answered from here without running
routing, validation, the handler or the rendering again. An answer is kept only while it
is fresh, and never longer than ``max_age`` seconds, so a purge or a refresh made by
another process shows within that.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from .keys import Kind

__all__ = ["FAST_KEY", "RenderedAnswer", "RenderedAnswers"]

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


class RenderedAnswers:
    """An in-process map from fast keys to rendered answers, least recently used out
    first, bounded in bytes of body (some answers are tiny, some pages are large)."""

    def __init__(self, *, max_bytes: int = 64 << 20, max_age: float = 5.0) -> None:
        self._entries: OrderedDict[Hashable, RenderedAnswer] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self.max_age = max_age

    def remember(self, key: Hashable, answer: RenderedAnswer) -> None:
        self._forget(key)
        self._entries[key] = answer
        self._bytes += len(answer.body)
        while self._bytes > self._max_bytes:
            self._forget(next(iter(self._entries)))

    def recall(self, key: Hashable, now: float) -> RenderedAnswer | None:
        answer = self._entries.get(key)
        if answer is None:
            return None
        if now >= answer.serve_until:
            self._forget(key)
            return None
        self._entries.move_to_end(key)
        return answer

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _forget(self, key: Hashable) -> None:
        answer = self._entries.pop(key, None)
        if answer is not None:
            self._bytes -= len(answer.body)
