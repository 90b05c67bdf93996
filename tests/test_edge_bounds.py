"""The edge under attack (issue 11, "the edge"): forwarded headers, unbounded input, input
that would reach upstream paths, and a fast path that could be made to grow. Every test
talks to a real gateway over real sockets, most of them with raw bytes, as an attacker
would, and counts what reached the Discogs emulator."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.client_windows import start_early_in_window
from tests.conftest import ADMIN_TOKEN, RunningEmulator
from tests.servers import gateway

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def raw(url: str, request: bytes, *, wait: float = 10.0) -> bytes:
    """Send ``request`` as it is and read until the server closes (or ``wait`` passes)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(request)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def plain(
    url: str, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """A request whose path goes out exactly as written (no dot-segment resolution)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


# --- 1. forwarded headers -------------------------------------------------------------


@pytest.fixture
def limited(discogs: RunningEmulator) -> Iterator[str]:
    """A gateway that lets an address make 5 requests a minute."""
    with gateway(discogs.url, clients={"anonymous_limit": 5}) as url:
        yield url


def test_forwarded_headers_from_anyone_change_no_link(gateway_url: str) -> None:
    spoofed = httpx.get(f"{gateway_url}/artists/1", headers={"X-Forwarded-Proto": "wss"})
    assert spoofed.json()["resource_url"].startswith("http://127.0.0.1")
    after = httpx.get(f"{gateway_url}/artists/1")
    assert after.json()["resource_url"].startswith("http://127.0.0.1")


def test_a_new_x_forwarded_for_per_request_does_not_walk_past_a_client_limit(
    limited: str,
) -> None:
    start_early_in_window(needed=10)
    statuses = [
        httpx.get(f"{limited}/artists/1", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3


def test_trusted_proxies_are_believed_and_what_is_remembered_knows_the_scheme(
    discogs: RunningEmulator,
) -> None:
    settings = {"server": {"trusted_proxies": ["127.0.0.1"]}, "clients": {"anonymous_limit": 3}}
    with gateway(discogs.url, **settings) as url:
        secure = {"X-Forwarded-Proto": "https"}
        assert (
            httpx.get(f"{url}/labels/1", headers=secure)
            .json()["resource_url"]
            .startswith("https://")
        )
        for _ in range(2):  # the https rendering is remembered; plain http must not get it
            plain_answer = httpx.get(f"{url}/labels/1").json()
            assert plain_answer["resource_url"].startswith("http://127.0.0.1")
        # Each forwarded address is a client of its own: one behind the proxy is limited.
        behind = [
            httpx.get(f"{url}/labels/1", headers={"X-Forwarded-For": "192.0.2.7"}).status_code
            for _ in range(4)
        ]
        assert behind == [200, 200, 200, 429]


def test_a_public_url_wins_over_any_forwarded_header(discogs: RunningEmulator) -> None:
    settings = {
        "server": {"trusted_proxies": ["127.0.0.0/8"], "public_url": "https://sleeve.example"}
    }
    with gateway(discogs.url, **settings) as url:
        answer = httpx.get(f"{url}/artists/1", headers={"X-Forwarded-Proto": "wss"})
        assert answer.json()["resource_url"] == "https://sleeve.example/artists/1"


def test_a_trusted_proxy_must_be_an_address_or_a_network(discogs: RunningEmulator) -> None:
    from sleeve.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"server\.trusted_proxies"):
        load_settings(server={"trusted_proxies": ["proxy.example"]})


# --- 2. bounds on what a client sends -------------------------------------------------


def test_the_admin_token_is_checked_before_a_byte_of_the_body_is_read(
    gateway_url: str,
) -> None:
    """A purge announcing 200 MB, with no token: 401 at once, the body never awaited."""
    request = (
        b"POST /_sleeve/cache/purge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200000000\r\n\r\n{"
    )
    started = time.monotonic()
    answer = raw(gateway_url, request, wait=8)
    assert status_of(answer) == 401
    assert time.monotonic() - started < 8  # answered, not left waiting for 200 MB
    assert b"admin token" in answer


@pytest.mark.parametrize(
    ("body", "headers", "said"),
    [
        (b'{"path": "/' + b"a" * 5000 + b'"}', {}, b"4096 bytes"),  # purge's own bound
        (b'{"path": "/", "prefix": ' + b"9" * 5001 + b"}", {}, b"4096 bytes"),
        (None, {"Transfer-Encoding": "chunked"}, b"4096 bytes"),  # no length to go by
    ],
    ids=["announced", "a-5001-digit-number", "chunked"],
)
def test_a_purge_body_over_its_bound_is_413_naming_it(
    gateway_url: str, body: bytes | None, headers: dict[str, str], said: bytes
) -> None:
    if body is None:
        chunk = b"x" * 3000
        payload = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
        head = b"Transfer-Encoding: chunked\r\n"
    else:
        payload, head = body, b"Content-Length: %d\r\n" % len(body)
    request = (
        b"POST /_sleeve/cache/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer " + ADMIN_TOKEN.encode()
        + b"\r\n" + head + b"\r\n" + payload
    )  # fmt: skip
    answer = raw(gateway_url, request)
    assert status_of(answer) == 413
    assert said in answer and b"sys." not in answer


def test_any_body_over_the_servers_bound_is_413(gateway_url: str) -> None:
    answer = httpx.post(
        f"{gateway_url}/api/v1/00000000-0000-4000-8000-000000000000/low-level",
        content=b"x" * (70 << 10),
    )
    assert answer.status_code == 413
    assert "65536 bytes" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "said"),
    [
        (b"[" * 2000 + b"]" * 2000, "application/json", 400, "nests too deeply"),
        (b'{"path": "/"}', None, 415, "Content-type"),
        (b"{nope", "application/json", 400, "not JSON"),
    ],
    ids=["nesting-bomb", "no-content-type", "not-json"],
)
def test_a_purge_body_that_cannot_be_read_is_a_4xx_with_a_message(
    gateway_url: str, body: bytes, content_type: str | None, status: int, said: str
) -> None:
    headers = dict(ADMIN)
    if content_type:
        headers["Content-Type"] = content_type
    answer = httpx.post(f"{gateway_url}/_sleeve/cache/purge", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert said.lower() in answer.json()["message"].lower()


def test_a_number_of_thousands_of_digits_is_refused_in_plain_words(gateway_url: str) -> None:
    answer = httpx.get(f"{gateway_url}/artists/1/releases", params={"page": "9" * 5001})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "page" in message and "sys" not in message and len(message) < 300


def test_a_head_over_the_bound_is_431_and_the_connection_closes(gateway_url: str) -> None:
    request = b"GET /artists/1 HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40_000 + b"\r\n\r\n"
    answer = raw(gateway_url, request)
    assert status_of(answer) == 431
    assert b"32768 bytes" in answer


@pytest.fixture
def impatient(discogs: RunningEmulator) -> Iterator[str]:
    with gateway(discogs.url, server={"head_timeout": 1.0}) as url:
        yield url


def test_a_head_that_dribbles_in_is_cut_off(impatient: str) -> None:
    """A header line every 0.4 s never completes a head: after head_timeout the
    connection is answered 408 and closed, and other clients are served meanwhile."""
    host, port = impatient.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"GET /artists/1 HTTP/1.1\r\nHost: x\r\n")
        started, answer = time.monotonic(), b""
        try:
            for i in range(25):
                conn.sendall(b"X-Slow-%d: 1\r\n" % i)
                time.sleep(0.4)
                assert httpx.get(f"{impatient}/_sleeve/health").status_code == 200
        except (BrokenPipeError, ConnectionResetError):
            pass
        conn.settimeout(5)
        try:
            while chunk := conn.recv(4096):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    assert status_of(answer) == 408
    assert time.monotonic() - started < 9


def test_a_connection_that_never_speaks_is_closed(impatient: str) -> None:
    host, port = impatient.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        started = time.monotonic()
        conn.settimeout(8)
        data = conn.recv(4096)  # whatever it says, then EOF
        while data and (more := conn.recv(4096)):
            data += more
    assert time.monotonic() - started < 8


# --- 3. input that reaches upstream paths ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/releases/1/rating/..", "username"),
        ("/releases/1/rating/.", "username"),
        ("/releases/1/rating/some%0Aone", "username"),
        ("/releases/1/rating/some%00one", "username"),
        ("/_sleeve/blobs/" + "a" * 64 + "%0A", "digest"),
        ("/ws/2/artist/00000000-0000-4000-8000-000000000000%0A?fmt=json", "mbid"),
    ],
)
def test_dot_segments_and_control_characters_in_a_path_parameter_are_400_naming_it(
    gateway_url: str, discogs: RunningEmulator, path: str, name: str
) -> None:
    status, body = plain(gateway_url, "GET", path)
    assert status == 400, body
    assert name.encode() in body
    assert discogs.emulator.calls == 0


# --- 4. the fast path's memory --------------------------------------------------------


async def test_undeclared_query_parameters_cannot_mint_remembered_answers(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    """3,000 requests each with a junk parameter of its own: all answered (from the
    cache), and none remembered; declared parameters in any order share one entry."""

    def remembered() -> int:
        health = httpx.get(f"{gateway_url}/_sleeve/health").json()
        return health["cache"]["remembered"]["entries"]

    before = remembered()
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for start in range(0, 3000, 300):
            answers = await asyncio.gather(
                *(
                    client.get(f"{gateway_url}/artists/3?junk={i}")
                    for i in range(start, start + 300)
                )
            )
            assert {answer.status_code for answer in answers} == {200}
        await client.get(f"{gateway_url}/artists/3/releases?page=1&per_page=5")
        await client.get(f"{gateway_url}/artists/3/releases?per_page=5&page=1")
    assert remembered() - before <= 2  # /artists/3 itself at most, and one page
    assert discogs.emulator.calls == 2
    assert json.loads((await asyncio.to_thread(httpx.get, f"{gateway_url}/_sleeve/health")).text)
