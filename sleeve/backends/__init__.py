"""Where state lives: what the cache, the rate limits and the AcousticBrainz archive share.

Each of them keeps its state either in this process, in a SQLite file on this host, or in
a Redis shared by every gateway process; this package holds what they have in common, so
that each is written once:

- :class:`StoreUnavailable`, the one failure a shared backend reports (Redis down or
  stalled, a SQLite file locked or broken): callers treat it as "no shared state now"
  and carry on without it;
- :func:`key_bytes` / :func:`key_text`, the one encoding of keys and names;
- :mod:`.redis`: one connection pool per process, failing fast;
- :mod:`.sqlite`: opening a file in WAL mode, its schema, its write transactions.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

__all__ = ["Closeable", "StoreUnavailable", "key_bytes", "key_text"]


class StoreUnavailable(Exception):
    """The backend cannot be reached or used right now (down, timed out, locked, full).

    Raised quickly, never after a hang; the same object works again once the backend is
    back. Callers treat it as a miss they cannot record (the cache), or fall back to a
    per-process count (the limits).
    """


def key_bytes(key: str) -> bytes:
    """``key`` as bytes, for any ``str``: lone surrogates survive (``surrogatepass``).

    The mapping is one-to-one and keeps prefixes (a key starting with ``p`` encodes to
    bytes starting with ``key_bytes(p)``), which prefix purges rely on.
    """
    return key.encode("utf-8", "surrogatepass")


def key_text(data: bytes) -> str:
    """The inverse of :func:`key_bytes`."""
    return data.decode("utf-8", "surrogatepass")


class Closeable(abc.ABC):
    """A backend object that holds connections or threads: ``async with`` closes it."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and threads; the object is unusable afterwards."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
