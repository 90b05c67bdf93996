"""One log line per request, with its id, and upstream failures an operator can act on;
captured from the live gateway (it runs in this process, so its records reach caplog).

The gateway is this module's own: the failures made here would otherwise open the
session gateway's Discogs breaker for the tests after these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from sleeve.observability.logs import formatter
from sleeve.observability.request_record import SANE_REQUEST_ID
from tests.conftest import RunningEmulator
from tests.servers import gateway


@pytest.fixture(scope="module")
def logged(discogs: RunningEmulator) -> Iterator[str]:
    with gateway(discogs.url) as url:
        yield url


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="sleeve")
    return caplog


def lines_of(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", None) == request_id]


def access_line(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    (line,) = [r for r in lines_of(caplog, request_id) if r.name == "sleeve.access"]
    return line


def test_one_line_per_request_saying_what_it_did(
    logged: str, logs: pytest.LogCaptureFixture
) -> None:
    first = httpx.get(f"{logged}/artists/1", headers={"X-Request-Id": "trace-41"})
    again = httpx.get(f"{logged}/artists/1", headers={"X-Request-Id": "trace-42"})

    assert first.headers["x-request-id"] == "trace-41"
    assert again.headers["x-request-id"] == "trace-42"
    miss, hit = access_line(logs, "trace-41"), access_line(logs, "trace-42")
    assert miss.getMessage().startswith('"GET /artists/1" 200 ')
    assert miss.getMessage().endswith(
        "id=trace-41 op=getArtist cache=miss client=address:127.0.0.1 upstream_calls=1"
    )
    assert hit.getMessage().endswith(
        "id=trace-42 op=getArtist cache=hit client=address:127.0.0.1 upstream_calls=0"
    )
    for line, cache, calls in ((miss, "miss", 1), (hit, "hit", 0)):
        assert (line.operation, line.status, line.cache, line.upstream_calls) == (  # type: ignore[attr-defined]
            "getArtist",
            200,
            cache,
            calls,
        )
        assert line.duration_ms > 0  # type: ignore[attr-defined]


def test_unrouted_and_refused_requests_have_lines_too(
    logged: str, logs: pytest.LogCaptureFixture
) -> None:
    answer = httpx.get(f"{logged}/no/such/path", headers={"X-Request-Id": "lost-1"})
    assert answer.status_code == 404
    assert answer.headers["x-request-id"] == "lost-1"
    line = access_line(logs, "lost-1")
    assert (line.operation, line.status) == ("unrouted", 404)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "sent",
    ["x" * 129, "two words", 'quote"d', "semi;colon", "ünïcode", ""],
    ids=["too-long", "space", "quote", "semicolon", "non-ascii", "empty"],
)
def test_insane_request_ids_are_replaced(
    logged: str, logs: pytest.LogCaptureFixture, sent: str
) -> None:
    answer = httpx.get(f"{logged}/_sleeve/health", headers={"X-Request-Id": sent.encode()})
    made = answer.headers["x-request-id"]
    assert made != sent
    assert SANE_REQUEST_ID.fullmatch(made.encode())
    assert access_line(logs, made).status == 200  # type: ignore[attr-defined]


def test_every_answer_has_a_fresh_id_when_the_client_sends_none(logged: str) -> None:
    ids = {httpx.get(f"{logged}/_sleeve/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_secrets_stay_masked_in_every_line(logged: str, logs: pytest.LogCaptureFixture) -> None:
    header_secret, query_secret = "header-secret-1f3a", "query-secret-9c2e"
    answers = [
        httpx.get(
            f"{logged}/artists/1",
            headers={"Authorization": f"Discogs token={header_secret}", "X-Request-Id": "s-1"},
        ),
        httpx.get(
            f"{logged}/artists/1?token={query_secret}&secret={query_secret}",
            headers={"X-Request-Id": "s-2"},
        ),
    ]
    assert (
        access_line(logs, "s-2")
        .getMessage()
        .startswith('"GET /artists/1?token=%2A%2A%2A&secret=%2A%2A%2A" ')
    )
    text, json_lines = formatter("text"), formatter("json")
    for record in logs.records:
        for rendered in (text.format(record), json_lines.format(record), repr(vars(record))):
            assert header_secret not in rendered
            assert query_secret not in rendered
    for answer in answers:
        assert header_secret not in answer.text and query_secret not in answer.text
        assert all(
            header_secret not in value and query_secret not in value
            for value in answer.headers.values()
        )


def test_an_upstream_failure_names_upstream_host_and_cause(
    logged: str, discogs: RunningEmulator, logs: pytest.LogCaptureFixture
) -> None:
    discogs.emulator.set_mode("error", status=503, times=3)
    answer = httpx.get(f"{logged}/artists/2", headers={"X-Request-Id": "fail-7"}, timeout=30)
    discogs.emulator.set_mode("ok")

    assert answer.status_code == 503
    failures = [r for r in lines_of(logs, "fail-7") if r.name == "sleeve.upstream"]
    assert len(failures) == 3  # every attempt
    for failure in failures:
        assert failure.levelno == logging.WARNING
        assert failure.getMessage() == (
            "upstream failure: Discogs host=127.0.0.1 cause=status: answered 503"
        )
        assert (failure.upstream, failure.host, failure.cause, failure.upstream_status) == (  # type: ignore[attr-defined]
            "discogs",
            "127.0.0.1",
            "status",
            503,
        )
    assert access_line(logs, "fail-7").upstream_calls == 3  # type: ignore[attr-defined]


def test_a_dropped_connection_is_a_reset(
    logged: str, discogs: RunningEmulator, logs: pytest.LogCaptureFixture
) -> None:
    discogs.emulator.set_mode("drop")  # every request, until told otherwise
    try:
        answer = httpx.get(f"{logged}/artists/3", headers={"X-Request-Id": "drop-1"}, timeout=30)
    finally:
        discogs.emulator.set_mode("ok")

    assert answer.status_code == 502
    failures = [r for r in lines_of(logs, "drop-1") if r.name == "sleeve.upstream"]
    assert failures
    assert {(r.upstream, r.host, r.cause) for r in failures} == {  # type: ignore[attr-defined]
        ("discogs", "127.0.0.1", "reset")
    }
    assert access_line(logs, "drop-1").upstream_calls == len(failures)  # type: ignore[attr-defined]
