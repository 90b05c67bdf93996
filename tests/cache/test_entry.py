"""The binary form of a cached answer: exact round trips, and nothing else decodes."""

from __future__ import annotations

import dataclasses
import math
import os

import pytest

from sleeve.cache import CachedAnswer, CorruptEntry
from tests.cache.answers import answer

LINK = '<https://sleeve.example/artists/1/releases?page=2>; rel="next"'


@pytest.mark.parametrize(
    "original",
    [
        answer(),
        answer(b"", status=404, headers=(), etag=""),
        answer(bytes(range(256)) * 300, headers=(("Link", LINK), ("X-Discogs-Ratelimit", "60"))),
        answer(headers=(("X-Name", "Sigur Rós — Ágætis byrjun"),)),
        answer(headers=(("X-Raw", b"caf\xe9".decode("utf-8", "surrogateescape")),)),
    ],
    ids=["json", "empty-404", "binary-body", "unicode-header", "non-utf8-header"],
)
def test_decode_returns_exactly_what_was_encoded(original: CachedAnswer) -> None:
    assert CachedAnswer.decode(original.encode()) == original


def test_encoding_is_compact() -> None:
    entry = answer(b"x" * 1000, headers=(), etag='"e"')
    assert len(entry.encode()) - 1000 < 50


def test_every_truncation_is_corrupt() -> None:
    data = answer(headers=(("Link", LINK),)).encode()
    for length in range(len(data)):
        with pytest.raises(CorruptEntry):
            CachedAnswer.decode(data[:length])


def test_trailing_bytes_are_corrupt() -> None:
    with pytest.raises(CorruptEntry):
        CachedAnswer.decode(answer().encode() + b"\x00")


def test_every_flipped_bit_is_corrupt() -> None:
    data = answer(headers=(("Link", LINK),)).encode()
    for index in range(len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[index] ^= 1 << bit
            with pytest.raises(CorruptEntry):
                CachedAnswer.decode(bytes(damaged))


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", os.urandom(64), b'{"id": 1}', b"\x80\x04\x95pickle"],
    ids=["empty", "text", "random", "json", "pickle"],
)
def test_foreign_bytes_are_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptEntry):
        CachedAnswer.decode(data)


def test_another_format_version_is_corrupt() -> None:
    data = bytearray(answer().encode())
    data[2] = 2
    with pytest.raises(CorruptEntry, match="format 2"):
        CachedAnswer.decode(bytes(data))


@pytest.mark.parametrize(
    "change",
    [
        {"keep_until": math.nan},
        {"fresh_until": math.inf},
        {"status": 70_000},
        {"headers": (("Link", "x" * 70_000),)},
        {"etag": "\ud800"},
    ],
    ids=["nan", "inf", "status", "long-header", "lone-surrogate"],
)
def test_values_the_format_cannot_hold_are_refused_on_encode(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        dataclasses.replace(answer(), **change).encode()  # type: ignore[arg-type]
