"""Cached answers to store in the tests, with times relative to now."""

from __future__ import annotations

import time

from sleeve.cache import CachedAnswer


def answer(
    body: bytes = b'{"id": 1}',
    *,
    keep_for: float = 60.0,
    fresh_for: float = 30.0,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    etag: str = '"abc123"',
) -> CachedAnswer:
    now = time.time()
    return CachedAnswer(
        status=status,
        headers=headers,
        body=body,
        stored_at=now,
        fresh_until=now + fresh_for,
        keep_until=now + keep_for,
        etag=etag,
    )
