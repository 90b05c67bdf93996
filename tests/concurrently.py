"""Running calls at once in a test without leaving any of them behind when one fails."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def gather_all(*calls: Awaitable[T]) -> list[T]:
    """Like ``asyncio.gather``, but every call has finished before the first failure is
    raised.

    Plain ``gather`` raises as soon as one call fails and leaves the others running. In a
    test that means they outlive it: the fixture closes the store or limiter under them,
    they reconnect, and the sockets they open are never closed, so their
    ``ResourceWarning`` (an error here) fails whichever later test is running when they
    are collected.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]  # no exceptions left among them
