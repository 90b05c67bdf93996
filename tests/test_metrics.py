"""``GET /metrics`` after known traffic: every figure counted exactly, over real HTTP.

The gateway here is this module's own (nobody else's traffic in its counters); the
emulators are the session's, so each test counts what changed between two scrapes.
"""

from __future__ import annotations

import json
import logging
import pathlib
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.metrics import delta, deltas, families, scrape, value
from tests.servers import gateway

MBID = "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
DASHBOARD = pathlib.Path(__file__).resolve().parent.parent / "deploy" / "grafana-dashboard.json"


@pytest.fixture(scope="module")
def metered(discogs: RunningEmulator) -> Iterator[str]:
    """A gateway of this module's own; MusicBrainz refuses connections (nothing listens)
    and its breaker opens after two failures; the Cover Art Archive speaks plain HTTP where
    sleeve expects TLS; the self-hosted AcousticBrainz has a name no DNS knows."""
    host_port = discogs.url.removeprefix("http://")
    with gateway(
        discogs.url,
        upstreams={
            "discogs": {"timeout": 1.0},
            "musicbrainz": {"breaker_failures": 2},
            "coverartarchive": {"base_url": f"https://{host_port}", "attempts": 1},
            # A name that never resolves (RFC 6761), for what the archive lacks.
            "acousticbrainz": {"base_url": "http://sleeve-test.invalid", "attempts": 1},
        },
    ) as url:
        yield url


def test_three_requests_of_which_two_hits(metered: str, discogs: RunningEmulator) -> None:
    before = scrape(metered)
    answers = [httpx.get(f"{metered}/artists/1") for _ in range(3)]
    after = scrape(metered)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert delta(before, after, "sleeve_requests_total", operation="getArtist", status="200") == 3
    count = "sleeve_request_duration_seconds_count"
    assert delta(before, after, count, operation="getArtist") == 3
    cache = "sleeve_cache_answers_total"
    assert delta(before, after, cache, upstream="discogs", kind="artist", outcome="miss") == 1
    assert delta(before, after, cache, upstream="discogs", kind="artist", outcome="hit") == 2
    assert deltas(before, after, "sleeve_upstream_calls_total") == {
        frozenset({("upstream", "discogs"), ("status", "200")}): 1
    }
    assert discogs.emulator.calls == 1


def test_a_5xx_is_a_failure_by_status_and_a_retry(metered: str, discogs: RunningEmulator) -> None:
    discogs.emulator.set_mode("error", status=500, times=1)
    before = scrape(metered)
    answer = httpx.get(f"{metered}/labels/1")
    after = scrape(metered)

    assert answer.status_code == 200  # the retry got it
    assert deltas(before, after, "sleeve_upstream_calls_total") == {
        frozenset({("upstream", "discogs"), ("status", "500")}): 1,
        frozenset({("upstream", "discogs"), ("status", "200")}): 1,
    }
    failures = "sleeve_upstream_failures_total"
    assert deltas(before, after, failures) == {
        frozenset({("upstream", "discogs"), ("cause", "status")}): 1
    }
    assert delta(before, after, "sleeve_upstream_retries_total", upstream="discogs") == 1


def test_a_429_pauses_and_is_counted(metered: str, discogs: RunningEmulator) -> None:
    discogs.emulator.set_mode("ratelimited", retry_after=1, times=1)
    before = scrape(metered)
    answer = httpx.get(f"{metered}/labels/2", timeout=30)
    after = scrape(metered)

    assert answer.status_code == 200
    assert delta(before, after, "sleeve_upstream_rate_limited_total", upstream="discogs") == 1
    assert (
        delta(before, after, "sleeve_upstream_calls_total", upstream="discogs", status="429") == 1
    )
    assert delta(before, after, "sleeve_upstream_retries_total", upstream="discogs") == 1
    # The retry waited out the pause for a slot.
    waits = "sleeve_limiter_wait_seconds_count"
    assert delta(before, after, waits, upstream="discogs") == 1


def test_a_timeout_is_a_failure_by_cause(metered: str, discogs: RunningEmulator) -> None:
    discogs.emulator.set_mode("delay", seconds=2.0, times=3)  # each attempt, over 1 s
    before = scrape(metered)
    answer = httpx.get(f"{metered}/masters/1", timeout=30)
    after = scrape(metered)
    discogs.emulator.set_mode("ok")  # whatever attempts the retry budget left unmade

    assert answer.status_code == 504
    failures = deltas(before, after, "sleeve_upstream_failures_total")
    attempts = delta(
        before, after, "sleeve_upstream_calls_total", upstream="discogs", status="error"
    )
    assert failures == {frozenset({("upstream", "discogs"), ("cause", "timeout")}): attempts}
    assert attempts >= 1
    assert delta(before, after, "sleeve_upstream_retries_total", upstream="discogs") == attempts - 1


def test_refused_connections_then_the_breaker(
    metered: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sleeve.upstream")
    before = scrape(metered)
    statuses = [httpx.get(f"{metered}/ws/2/artist/{MBID}?fmt=json").status_code for _ in range(3)]
    after = scrape(metered)

    assert statuses == [502, 502, 503]  # two refused, then the breaker rests MusicBrainz
    assert deltas(before, after, "sleeve_upstream_failures_total") == {
        frozenset({("upstream", "musicbrainz"), ("cause", "refused")}): 2
    }
    refusals = "sleeve_limiter_refusals_total"
    assert delta(before, after, refusals, upstream="musicbrainz", reason="breaker") == 1
    assert value(after, "sleeve_breaker_state", upstream="musicbrainz") == 2
    assert value(after, "sleeve_breaker_state", upstream="discogs") == 0
    failures = [r for r in caplog.records if r.getMessage().startswith("upstream failure")]
    refused = "MusicBrainz host=127.0.0.1 cause=refused: MusicBrainz could not be reached."
    assert [r.getMessage() for r in failures] == [f"upstream failure: {refused}"] * 2

    ready = httpx.get(f"{metered}/_sleeve/ready")
    assert ready.status_code == 200  # an upstream down is reported, never unready
    musicbrainz = ready.json()["upstreams"]["musicbrainz"]
    assert musicbrainz["breaker"] == "open"
    assert musicbrainz["last_failure"]["cause"] == "refused"
    assert musicbrainz["last_failure"]["host"] == "127.0.0.1"


def test_tls_failures_are_named(metered: str) -> None:
    before = scrape(metered)
    answer = httpx.get(f"{metered}/release/{MBID}")
    after = scrape(metered)

    assert answer.status_code == 503  # the archive's word for every way of not reaching it
    assert deltas(before, after, "sleeve_upstream_failures_total") == {
        frozenset({("upstream", "coverartarchive"), ("cause", "tls")}): 1
    }


def test_dns_failures_are_named(metered: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="sleeve.upstream")
    before = scrape(metered)
    answer = httpx.get(f"{metered}/api/v1/{MBID}/high-level")
    after = scrape(metered)

    assert answer.status_code >= 500
    assert deltas(before, after, "sleeve_upstream_failures_total") == {
        frozenset({("upstream", "acousticbrainz"), ("cause", "dns")}): 1
    }
    (line,) = [r for r in caplog.records if r.name == "sleeve.upstream"]
    assert line.getMessage().startswith(
        "upstream failure: AcousticBrainz host=sleeve-test.invalid cause=dns: "
    )


def test_scrape_time_figures(metered: str) -> None:
    scraped = scrape(metered)
    assert value(scraped, "sleeve_cache_store_up", backend="sqlite") == 1
    assert value(scraped, "sleeve_ready") == 1
    assert value(scraped, "sleeve_image_budget_limit") == 1000
    used = value(scraped, "sleeve_image_budget_used")
    assert used + value(scraped, "sleeve_image_budget_remaining") == 1000


def test_metrics_are_plain_text_0_0_4_and_carry_a_request_id(metered: str) -> None:
    answer = httpx.get(f"{metered}/metrics")
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert answer.headers["x-request-id"]


def test_the_dashboard_names_only_metrics_that_are_exposed(metered: str) -> None:
    exposed = families(httpx.get(f"{metered}/metrics").text)
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(exprs) >= 10
    for expr in exprs:
        names = set(re.findall(r"\bsleeve_[a-z_]+", expr))
        assert names, expr
        assert names <= exposed, (expr, names - exposed)


@pytest.fixture(scope="module")
def guarded(discogs: RunningEmulator) -> Iterator[str]:
    with gateway(
        discogs.url,
        server={"metrics_token": "scrape-me"},
        clients={"anonymous_limit": 2},
    ) as url:
        yield url


def test_a_metrics_token_when_one_is_set(guarded: str) -> None:
    assert httpx.get(f"{guarded}/metrics").status_code == 401
    wrong = {"Authorization": "Bearer admin"}
    assert httpx.get(f"{guarded}/metrics", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer scrape-me"}
    answers = [httpx.get(f"{guarded}/metrics", headers=right) for _ in range(5)]
    # Scrapes and probes are never rate limited (the anonymous limit here is 2).
    assert [a.status_code for a in answers] == [200] * 5
    assert [httpx.get(f"{guarded}/_sleeve/ready").status_code for _ in range(5)] == [200] * 5
