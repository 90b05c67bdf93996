"""A real ``redis-server`` for the tests: started on a free port, stopped, killed, paused.

The cache's Redis behaviour (expiry, SCAN patterns, Lua, reconnects) is what is under
test, so no fake stands in for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from typing import TypedDict

INSTALL_HINT = (
    "redis-server is needed for the cache tests and was not found on PATH; "
    "install it with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis`"
)


class Timeouts(TypedDict):
    connect_timeout: float
    socket_timeout: float


COMFORTABLE_TIMEOUTS: Timeouts = {"connect_timeout": 5.0, "socket_timeout": 5.0}
"""Timeouts for Redis stores and limiters in tests that are not about Redis failing.

The shipped defaults (0.25 s to connect, 0.5 s to answer) are right for production, where
a stalled Redis must cost a request milliseconds; on a loaded test machine a burst of
connections can miss them, which would fail a test about something else. Tests of failure
modes keep the defaults (or set tighter ones) on a Redis of their own.
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process without persistence, on 127.0.0.1:``port``."""

    def __init__(self, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.binary = binary
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 5.0) -> RedisServer:
        """Start and wait until it answers PING."""
        command = [self.binary, "--save", "", "--appendonly", "no"]
        command += ["--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_for_pong(timeout)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would; returns once the process is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def _wait_for_pong(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self._pings():
                return
            time.sleep(0.01)
        self.kill()
        raise TimeoutError(f"redis-server on port {self.port} did not answer PING")

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False
