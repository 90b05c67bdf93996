"""Cached hits answered by the HTTP protocol itself (``edge.hit_front``), through a real
uvicorn server on 127.0.0.1: the same answer the ASGI stack gives, in order on a
connection, closed when HTTP says so, and counted like any other request."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sleeve.app import create_app
from sleeve.cli.serve import server_config
from sleeve.edge.client_limits import limit_headers, limit_lines
from sleeve.governance.limiter import Admission
from tests.conftest import RunningEmulator
from tests.servers import gateway, gateway_settings, serving

# What may differ between two answers of the same hit: time, counts, the request's id,
# and the ETag (of a body whose links name each server's own port).
VOLATILE = {
    "etag",
    "date",
    "age",
    "cache-control",
    "cache-status",
    "x-request-id",
    "x-discogs-ratelimit-used",
    "x-discogs-ratelimit-remaining",
    "ratelimit",
}


@pytest.fixture(scope="module")
def fronted(discogs: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A gateway served as ``sleeve serve`` serves it; yields (its URL, its app)."""
    directory = tmp_path_factory.mktemp("front")
    settings = gateway_settings(
        discogs.url,
        cache={"path": str(directory / "cache.db")},
        images={"path": str(directory / "images")},
        acousticbrainz={"path": str(directory / "acousticbrainz.db")},
    )
    app = create_app(settings)
    config = server_config(app, settings, host="127.0.0.1", port=0, log_level="warning")
    with serving(app, config=config) as url:
        yield url, app


class RawConnection:
    """One connection to the server, spoken to in bytes (pipelining needs it)."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self._socket = socket.create_connection((host, int(port)), timeout=10)
        self._stream = self._socket.makefile("rb")

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()
        self._socket.close()

    def send(self, data: bytes) -> None:
        self._socket.sendall(data)

    def answer(self) -> bytes:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self._stream.readline()
            assert line, f"the connection closed early: {head!r}"
            head += line
        lengths = [
            line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
        ]
        return head + self._stream.read(int(lengths[0].split(b":")[1]) if lengths else 0)

    def closed(self, within: float = 2.0) -> bool:
        """Whether the server closes it within ``within`` seconds (sending nothing more)."""
        self._socket.settimeout(within)
        try:
            return self._stream.read(1) == b""
        except TimeoutError:
            return False


def raw_exchange(url: str, request: bytes, *, answers: int) -> tuple[list[bytes], bool]:
    """Send ``request`` (one or several, pipelined) on one connection; the ``answers``
    answers read back, and whether the server closed the connection after them."""
    with RawConnection(url) as connection:
        connection.send(request)
        got = [connection.answer() for _ in range(answers)]
        return got, connection.closed()


def remember(url: str, path: str) -> None:
    """Ask twice: the miss stores the answer, the hit from the stack remembers it, and
    the front answers the next."""
    for _ in range(2):
        httpx.get(url + path)


def get(url: str, path: str, *, version: str = "1.1", **headers: str) -> bytes:
    """A request as httpx would send it to ``url`` (the same Host and Accept: the same
    fast key)."""
    host = url.removeprefix("http://")
    headers = {"Accept": "*/*", **headers}
    lines = [
        f"GET {path} HTTP/{version}",
        f"Host: {host}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_repeat_is_answered_by_the_front_as_the_stack_answers_it(
    fronted: tuple[str, Any], discogs: RunningEmulator
) -> None:
    url, app = fronted
    with gateway(discogs.url, hit_front=False) as plain:
        for base in (url, plain):
            assert httpx.get(f"{base}/artists/1").status_code == 200  # a miss, remembered
        before = app.hit_front.answered
        ours = httpx.get(f"{url}/artists/1", headers={"X-Request-Id": "same"})
        theirs = httpx.get(f"{plain}/artists/1", headers={"X-Request-Id": "same"})
    assert app.hit_front.answered == before + 1
    assert ours.status_code == theirs.status_code == 200
    assert ours.content == theirs.content.replace(plain.encode(), url.encode())
    assert [name for name, _ in ours.headers.raw] == [name for name, _ in theirs.headers.raw]
    steady = [(n, v) for n, v in ours.headers.raw if n.decode() not in VOLATILE]
    assert steady == [(n, v) for n, v in theirs.headers.raw if n.decode() not in VOLATILE]
    assert ours.headers["x-request-id"] == "same"
    assert ours.headers["cache-status"].startswith("sleeve; hit; ttl=")
    assert int(ours.headers["x-discogs-ratelimit-used"]) >= 2  # the miss and this one


def test_a_matching_if_none_match_gets_a_304_from_the_front(fronted: tuple[str, Any]) -> None:
    url, app = fronted
    first = httpx.get(f"{url}/artists/2")
    condition = {"If-None-Match": first.headers["etag"]}
    assert httpx.get(f"{url}/artists/2", headers=condition).status_code == 304  # remembered
    before = app.hit_front.answered
    again = httpx.get(f"{url}/artists/2", headers=condition)
    assert (again.status_code, again.content) == (304, b"")
    assert "content-length" not in again.headers and again.headers["etag"] == first.headers["etag"]
    assert app.hit_front.answered == before + 1


def test_pipelined_requests_are_answered_in_order_even_behind_a_miss(
    fronted: tuple[str, Any],
) -> None:
    """A hit pipelined behind a miss must wait for it: answers go in request order."""
    url, app = fronted
    remember(url, "/artists/3")
    before = app.hit_front.answered
    pipelined = (
        get(url, "/artists/3")
        + get(url, "/artists/1/releases?page=1&per_page=3")
        + get(url, "/artists/3")
    )
    answers, closed = raw_exchange(url, pipelined, answers=3)
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 200 OK"] * 3
    assert [b'"id":3,' in a for a in answers] == [True, False, True]
    assert b'"pagination"' in answers[1]
    assert not closed
    assert app.hit_front.answered >= before + 1  # the first, at least; the last waited


def test_a_hit_over_http_1_0_or_with_connection_close_closes_the_connection(
    fronted: tuple[str, Any],
) -> None:
    url, app = fronted
    remember(url, "/artists/4")
    for request in (
        get(url, "/artists/4", version="1.0"),
        get(url, "/artists/4", Connection="close"),
    ):
        before = app.hit_front.answered
        (answer,), closed = raw_exchange(url, request, answers=1)
        assert answer.startswith((b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK")), answer[:40]
        assert b"\r\nconnection: close\r\n" in answer.lower()
        assert closed
        assert app.hit_front.answered == before + 1


def test_a_get_with_a_body_goes_the_usual_way_and_the_connection_stays_sound(
    fronted: tuple[str, Any],
) -> None:
    url, app = fronted
    remember(url, "/artists/5")
    before = app.hit_front.answered
    with RawConnection(url) as connection:
        connection.send(get(url, "/artists/5", **{"Content-Length": "2"}) + b"{}")
        with_body = connection.answer()
        assert app.hit_front.answered == before
        connection.send(get(url, "/artists/5"))
        without = connection.answer()
        assert not connection.closed()
    assert with_body.startswith(b"HTTP/1.1 200 OK") and without.startswith(b"HTTP/1.1 200 OK")
    assert app.hit_front.answered == before + 1


def test_hits_count_against_the_client_limit_and_a_429_is_the_stacks(
    discogs: RunningEmulator,
) -> None:
    with gateway(discogs.url, clients={"anonymous_limit": 3}) as url:
        statuses = [httpx.get(f"{url}/artists/1").status_code for _ in range(4)]
        refused = httpx.get(f"{url}/artists/1")
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["message"].startswith("Rate limit of 3 requests per 60 s")


def test_through_a_trusted_proxy_the_front_answers_for_the_forwarded_client(
    discogs: RunningEmulator,
) -> None:
    """Links follow X-Forwarded-Proto (the scheme is part of the fast key), and each
    forwarded address has a count of its own."""
    proxy = {"server": {"trusted_proxies": ["127.0.0.1"]}, "clients": {"anonymous_limit": 2}}
    with gateway(discogs.url, **proxy) as url:
        answers = [
            httpx.get(
                f"{url}/artists/1",
                headers={"X-Forwarded-Proto": proto, "X-Forwarded-For": address},
            )
            for proto, address in [
                ("https", "10.0.0.1"), ("https", "10.0.0.1"), ("http", "10.0.0.2"),
                ("http", "10.0.0.2"), ("https", "10.0.0.1"),
            ]
        ]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert answers[1].json()["resource_url"].startswith("https://")
    assert answers[3].json()["resource_url"].startswith("http://")
    assert [a.headers["x-discogs-ratelimit-used"] for a in answers] == ["1", "2", "1", "2", "2"]


@pytest.mark.parametrize("path", ["/artists/1", "/api/v1/low-level"])
@pytest.mark.parametrize(
    "admission",
    [
        Admission(True, 1, 41, 0.0, 59.2),
        Admission(True, 42, 0, 0.0, 0.4),
        Admission(True, 0, 7, 0, 0),
    ],
)
def test_the_fronts_limit_lines_are_the_limit_headers(path: str, admission: Admission) -> None:
    def steady(lines: bytes) -> list[bytes]:  # AcousticBrainz' reset is a clock reading
        return [line for line in lines.split(b"\r\n") if not line.startswith(b"x-ratelimit-reset:")]

    for policy in ("sleeve", "sleeve-pages"):
        headers = limit_headers(admission, 42, 60.0, path=path, policy=policy)
        lines = b"".join(b"%s: %s\r\n" % header for header in headers)
        assert steady(limit_lines(admission, 42, 60.0, path=path, policy=policy)) == steady(lines)


def test_an_idle_connection_is_closed_after_keep_alive_and_a_busy_one_never(
    discogs: RunningEmulator,
) -> None:
    """The keep-alive timer is not re-armed per request (the front answers thousands a
    second): it looks at the connection's idle time when it fires."""
    with gateway(discogs.url, server={"keep_alive": 1}) as url:
        remember(url, "/artists/1")
        for first in ("/artists/1", "/_sleeve/health"):  # the front's, then the stack's
            with RawConnection(url) as idle:
                idle.send(get(url, first))
                assert idle.answer().startswith(b"HTTP/1.1 200 OK")
                started = time.monotonic()
                assert idle.closed(within=5.0), f"still open 5 s after {first}"
                assert time.monotonic() - started >= 0.9
        with RawConnection(url) as busy:
            for n in range(8):  # 3.2 s, never 1 s idle
                busy.send(get(url, "/artists/1" if n % 2 else "/_sleeve/health"))
                assert busy.answer().startswith(b"HTTP/1.1 200 OK")
                time.sleep(0.4)
            busy.send(get(url, "/artists/1"))
            assert busy.answer().startswith(b"HTTP/1.1 200 OK")
