"""A slow network in front of an upstream: a TCP relay where every other connection
delivers what the client sends ``delay`` seconds late — as a slow connect, a lost SYN
retried after a second, or a congested path would. The upstream then sees calls later
than sleeve sent them, which is exactly when a limit counted at sending breaks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


class SlowNetwork:
    def __init__(self, upstream_url: str, *, delay: float) -> None:
        parts = urlsplit(upstream_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._delay = delay
        self._connections = itertools.count()
        self.slow_connections = 0

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._relay, host, port)
        try:
            bound = server.sockets[0].getsockname()[1]
            yield f"http://{host}:{bound}"
        finally:
            server.close()
            await server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        slow = next(self._connections) % 2 == 1
        self.slow_connections += slow
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pipe(reader, up_writer, self._delay if slow else 0.0),
            _pipe(up_reader, writer, 0.0),
            return_exceptions=True,
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy until EOF; each chunk is written ``delay`` s after it was read, in order."""
    loop = asyncio.get_running_loop()
    pending: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await pending.get()
            if not chunk:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(chunk)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while chunk := await reader.read(65536):
            pending.put_nowait((loop.time() + delay, chunk))
    except OSError:
        pass
    finally:
        pending.put_nowait((0.0, b""))
        with contextlib.suppress(OSError):
            await delivering
        writer.close()
