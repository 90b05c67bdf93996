"""One cached upstream answer and its binary form, the only thing a store ever holds.

The format is versioned and self-checking, so any backend can hand back whatever bytes it
has and trust :meth:`CachedAnswer.decode` to refuse what it did not write (a truncated
value, another program's key, a format from a future sleeve). No pickle: a cache value
must never be able to run code. Layout, big-endian::

    magic    2 bytes   b"SC"
    version  1 byte    1
    crc32    4 bytes   zlib.crc32 of everything after this field
    status   u16
    stored_at, fresh_until, keep_until   3 x f64 (Unix seconds)
    etag length u16, header count u16, body length u32
    etag     UTF-8
    headers  per pair: name length u16, value length u16, name, value (UTF-8)
    body     raw bytes

Text is encoded with ``surrogateescape``, the error handler aiohttp decodes header bytes
with, so a header that arrived as non-UTF-8 bytes is stored and returned unchanged.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any

__all__ = ["CachedAnswer", "CorruptEntry"]

_MAGIC = b"SC"
_VERSION = 1
_PREFIX = struct.Struct("!2sBI")
_FIXED = struct.Struct("!HdddHHI")
_PAIR = struct.Struct("!HH")
_TEXT_ERRORS = "surrogateescape"


class CorruptEntry(ValueError):
    """Bytes that are not a complete :class:`CachedAnswer` of a version this sleeve reads."""


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An upstream answer as the cache keeps it, with the times that govern its reuse.

    The cache policy decides the times; stores only honour ``keep_until`` (after it the
    entry is gone). ``fresh_until`` is carried, not interpreted, by the storage layer.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    fresh_until: float
    keep_until: float
    etag: str

    def encode(self) -> bytes:
        """The versioned binary form; raises ``ValueError`` for values the format cannot hold."""
        try:
            rest = self._fixed_fields() + self._text_fields() + self.body
        except (struct.error, UnicodeEncodeError) as exc:
            raise ValueError(f"cannot encode cached answer: {exc}") from exc
        return _PREFIX.pack(_MAGIC, _VERSION, zlib.crc32(rest)) + rest

    @classmethod
    def decode(cls, data: bytes) -> CachedAnswer:
        """The answer ``data`` encodes; :class:`CorruptEntry` if it is anything else."""
        view = memoryview(data)
        try:
            return _Reader(view).answer()
        except (struct.error, UnicodeDecodeError, IndexError) as exc:
            raise CorruptEntry(f"malformed cache entry: {exc}") from exc

    def _fixed_fields(self) -> bytes:
        for name in ("stored_at", "fresh_until", "keep_until"):
            if not math.isfinite(getattr(self, name)):
                raise struct.error(f"{name} is not a finite number")
        return _FIXED.pack(
            self.status,
            self.stored_at,
            self.fresh_until,
            self.keep_until,
            len(_text(self.etag)),
            len(self.headers),
            len(self.body),
        )

    def _text_fields(self) -> bytes:
        parts = [_text(self.etag)]
        for name, value in self.headers:
            name_bytes, value_bytes = _text(name), _text(value)
            parts += [_PAIR.pack(len(name_bytes), len(value_bytes)), name_bytes, value_bytes]
        return b"".join(parts)


def _text(value: str) -> bytes:
    return value.encode("utf-8", _TEXT_ERRORS)


class _Reader:
    """A cursor over encoded bytes that fails loudly at the first thing out of place."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._at = 0

    def answer(self) -> CachedAnswer:
        self._check_prefix()
        fixed = self._unpack(_FIXED)
        status, stored_at, fresh_until, keep_until, etag_len, pairs, body_len = fixed
        etag = self._string(etag_len)
        headers = tuple(self._header() for _ in range(pairs))
        if len(self._view) - self._at != body_len:
            raise CorruptEntry(f"body length is not the {body_len} bytes announced")
        body = bytes(self._view[self._at :])
        return CachedAnswer(status, headers, body, stored_at, fresh_until, keep_until, etag)

    def _check_prefix(self) -> None:
        magic, version, crc = self._unpack(_PREFIX)
        if magic != _MAGIC:
            raise CorruptEntry("not a sleeve cache entry")
        if version != _VERSION:
            raise CorruptEntry(f"cache entry format {version}, this sleeve reads {_VERSION}")
        if zlib.crc32(self._view[self._at :]) != crc:
            raise CorruptEntry("checksum mismatch")

    def _header(self) -> tuple[str, str]:
        name_len, value_len = self._unpack(_PAIR)
        return self._string(name_len), self._string(value_len)

    def _string(self, length: int) -> str:
        return bytes(self._take(length)).decode("utf-8", _TEXT_ERRORS)

    def _unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        return layout.unpack(self._take(layout.size))

    def _take(self, length: int) -> memoryview:
        end = self._at + length
        if end > len(self._view):
            raise CorruptEntry("truncated cache entry")
        chunk, self._at = self._view[self._at : end], end
        return chunk
