"""Upstream answers and failures as the errors clients get: pure, no I/O."""

from __future__ import annotations

import pytest
from sleeve.adapters.http import (
    RequestTooLong,
    UpstreamGarbage,
    UpstreamTimeout,
    UpstreamUnreachable,
)

from sleeve.errors import GatewayError, answer_error, upstream_errors
from sleeve.governance.gate import UpstreamBusy
from sleeve.governance.retry import retry_after_seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7),
        ("0", 60),  # nothing to wait: the default, not "retry at once"
        (None, 60),
        ("soon", 60),
        ("-3", 60),
        ("2.5", 60),  # RFC 9110 delta-seconds has no fraction
        ("999999999", 86_400),  # not trusted unchecked
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60),  # a date long past
        ("Fri, 01 Jan 2100 00:00:00 GMT", 86_400),
    ],
)
def test_retry_after_from_an_upstream_is_checked_and_bounded(
    value: str | None, seconds: int
) -> None:
    assert retry_after_seconds(value, 60) == seconds


def test_passed_statuses_keep_the_upstreams_words_or_a_stock_message() -> None:
    said = answer_error("Discogs", 404, {}, said="Release not found.")
    assert (said.status, said.message) == (404, "Release not found.")
    assert answer_error("Discogs", 422, {}, passed=(422,)).message == (
        "Discogs could not process the request."
    )


@pytest.mark.parametrize("status", [429, 503])
def test_not_now_is_a_503_with_the_upstreams_retry_after(status: int) -> None:
    error = answer_error("MusicBrainz", status, {"Retry-After": "4"}, retry_after=1)
    assert (error.status, error.headers) == (503, {"Retry-After": "4"})
    assert "try again in 4 s" in error.message
    assert answer_error("MusicBrainz", status, {}, retry_after=1).headers == {"Retry-After": "1"}


def test_anything_else_is_the_upstreams_fault_and_names_its_status() -> None:
    error = answer_error("Discogs", 500, {}, said="boom")
    assert (error.status, error.message, error.headers) == (502, "Discogs answered 500: boom", {})
    archive = answer_error("Cover Art Archive", 500, {}, passed=(), otherwise=503)
    assert (archive.status, archive.headers) == (503, {"Retry-After": "60"})


@pytest.mark.parametrize(
    ("failure", "status", "retry_after"),
    [
        (RequestTooLong("Discogs", 20_000, 16_000), 414, None),
        (UpstreamBusy("Discogs", "busy", 2.2), 503, "3"),
        (UpstreamTimeout("Discogs", "slow"), 504, None),
        (UpstreamUnreachable("Discogs", "refused"), 502, None),
        (UpstreamGarbage("Discogs", "junk"), 502, None),
    ],
)
def test_failures_on_the_way_become_gateway_errors(
    failure: Exception, status: int, retry_after: str | None
) -> None:
    with pytest.raises(GatewayError) as raised, upstream_errors():
        raise failure
    assert raised.value.status == status
    assert raised.value.headers.get("Retry-After") == retry_after


def test_an_upstream_whose_contract_says_503_gets_503_with_retry_after() -> None:
    for failure in (UpstreamTimeout("Cover Art Archive", "slow"), UpstreamUnreachable("x", "y")):
        with (
            pytest.raises(GatewayError) as raised,
            upstream_errors(unreachable_status=503, timeout_status=503),
        ):
            raise failure
        assert (raised.value.status, raised.value.headers) == (503, {"Retry-After": "60"})
