"""Upstream governance over real HTTP: limits kept in every window, the allowed rate used,
pauses honoured, a failing upstream rested; and client limits told and enforced.

Limits are scaled down (20 per 2 s upstream, a few per second for clients) so the tests
run in seconds; the emulator records when every call arrived, and the windows are
checked from those records, by counting: never more than the limit in any window, and
the limit reached. How fast the backlog drains is a rate, so it needs a clock; it gets
one sanity bound, generous enough for a loaded machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import time
from collections.abc import Iterator

import httpx
import pytest

from sleeve.config import DiscogsSettings
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.governance.clients import key_digest
from tests.cache.redis_server import RedisServer
from tests.client_windows import start_early_in_window
from tests.servers import gateway, gateway_processes

LIMIT, WINDOW = 20, 2.0
# What sleeve adds to Discogs' window by default, so that calls delayed on the way cannot
# squeeze into one of Discogs' windows.
DISCOGS_MARGIN: float = DiscogsSettings.model_fields["window_margin"].default


def busiest_window(arrivals: list[float], window: float) -> int:
    """The most arrivals in any interval of ``window`` seconds (each arrival a start)."""
    times = sorted(arrivals)
    ends = 0
    most = 0
    for start, begin in enumerate(times):
        while ends < len(times) and times[ends] < begin + window:
            ends += 1
        most = max(most, ends - start)
    return most


def test_busiest_window_counts_what_it_should() -> None:
    assert busiest_window([0, 0.5, 1.9, 2.0, 3.0], 2.0) == 3
    assert busiest_window([], 2.0) == 0


@pytest.fixture
def limited_discogs() -> Iterator[tuple[DiscogsEmulator, str]]:
    emulator = DiscogsEmulator(rate_limit=LIMIT, window_seconds=WINDOW)
    with EmulatorThread(emulator) as url:
        yield emulator, url


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.mark.slow
async def test_two_processes_never_exceed_the_limit_and_use_it_fully(
    limited_discogs: tuple[DiscogsEmulator, str], redis: RedisServer, tmp_path: pathlib.Path
) -> None:
    """Three windows' worth of calls at once through two processes sharing one limit.

    Discogs (the emulator) refuses whatever is over its limit on its own clock, and sleeve
    would retry it, so a repeated call is an excess; the arrivals show the rest.
    """
    emulator, discogs_url = limited_discogs
    batches = 3
    ids = sorted(emulator.catalogue.releases)
    paths = ([f"/releases/{i}" for i in ids] + [f"/releases/{i}/stats" for i in ids])[
        : batches * LIMIT
    ]
    assert len(paths) == batches * LIMIT
    limits = {
        "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": str(LIMIT),
        "SLEEVE_UPSTREAMS__DISCOGS__WINDOW": str(WINDOW),
        "SLEEVE_UPSTREAMS__DISCOGS__MAX_WAIT": "60",
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with gateway_processes(discogs_url, redis.url, logs, **limits) as gateways:
        pool = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=60, limits=pool) as client:
            answers = await asyncio.gather(
                *(client.get(gateways[i % 2] + path) for i, path in enumerate(paths))
            )
    refused = [(a.url.path, a.status_code, a.text) for a in answers if a.status_code != 200]
    assert not refused
    arrivals = emulator.arrival_times()
    repeated = [path for path, calls in emulator.calls_by_path.items() if calls > 1]
    assert not repeated  # a repeat would be a retry after Discogs refused a call
    assert len(arrivals) == len(paths)
    # Never over the limit, and the limit reached: the first LIMIT went at once.
    assert busiest_window(arrivals, WINDOW) == LIMIT
    # Allowed: LIMIT at once, then LIMIT more each window sleeve keeps; so the fastest the
    # backlog can drain is (batches - 1) such windows from the first call to the last.
    ideal = (batches - 1) * (WINDOW + DISCOGS_MARGIN)
    span = max(arrivals) - min(arrivals)
    print(f"\n{len(arrivals)} calls in {span:.2f} s (ideal {ideal:.2f} s); busiest "
          f"{WINDOW} s window: {busiest_window(arrivals, WINDOW)}/{LIMIT}")  # fmt: skip
    # A sanity bound, not a measure of utilisation: a whole window wasted somewhere (a
    # process waiting for the other's slots, a pause sleeve imposed on itself) is over it;
    # a busy machine's delays are not.
    assert span < ideal + WINDOW, f"{span:.2f} s: the two processes left a window unused"


def test_a_429_pauses_the_upstream_for_the_time_asked(
    limited_discogs: tuple[DiscogsEmulator, str],
) -> None:
    emulator, discogs_url = limited_discogs
    emulator.set_mode("ratelimited", retry_after=1, times=1)
    with gateway(
        discogs_url, upstreams={"discogs": {"rate_limit": LIMIT, "window": WINDOW}}
    ) as url:
        started = time.monotonic()
        answer = httpx.get(f"{url}/artists/1", timeout=10)
        assert answer.status_code == 200
        assert time.monotonic() - started >= 1.0
        httpx.get(f"{url}/artists/2", timeout=10)
    first, *later = emulator.arrival_times()
    assert later and all(arrival >= first + 1.0 for arrival in later)


def test_a_failing_upstream_opens_the_breaker_which_recovers(
    limited_discogs: tuple[DiscogsEmulator, str],
) -> None:
    emulator, discogs_url = limited_discogs
    breaker = {"attempts": 1, "breaker_failures": 2, "breaker_open_for": 0.5}
    with gateway(discogs_url, upstreams={"discogs": breaker}) as url:
        emulator.set_mode("error", status=500)
        assert [httpx.get(f"{url}/labels/{i}").status_code for i in (1, 2)] == [502, 502]
        resting = httpx.get(f"{url}/labels/3")
        assert resting.status_code == 503
        assert int(resting.headers["retry-after"]) >= 1
        assert emulator.calls == 2  # the open breaker asked nobody
        emulator.set_mode("ok")
        time.sleep(0.6)
        assert httpx.get(f"{url}/labels/3").status_code == 200  # the probe
        assert httpx.get(f"{url}/labels/2").status_code == 200  # closed again
    assert emulator.calls == 4


def remaining(answer: httpx.Response) -> int:
    return int(answer.headers["x-discogs-ratelimit-remaining"])


def test_client_limits_count_down_and_refuse_past_the_limit(
    limited_discogs: tuple[DiscogsEmulator, str],
) -> None:
    _, discogs_url = limited_discogs
    with gateway(discogs_url, clients={"anonymous_limit": 3, "window": 1}) as url:
        start_early_in_window(needed=0.6, window=1)
        answers = [httpx.get(f"{url}/artists/1") for _ in range(4)]
        # Retry-After tells the truth: after it, there is room again (the count of the
        # last window fades out as the sliding window moves past it)
        time.sleep(int(answers[3].headers["retry-after"]) + 0.05)
        later = httpx.get(f"{url}/artists/1")
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [remaining(a) for a in answers] == [2, 1, 0, 0]
    assert answers[0].headers["x-discogs-ratelimit"] == "3"
    assert answers[0].headers["ratelimit-policy"] == '"sleeve";q=3;w=1'
    assert answers[1].headers["ratelimit"].startswith('"sleeve";r=1;t=')
    refused = answers[3]
    assert int(refused.headers["retry-after"]) >= 1
    assert "3 requests per 1 s" in refused.json()["message"]
    assert later.status_code == 200


@pytest.fixture
def keyed(limited_discogs: tuple[DiscogsEmulator, str]) -> Iterator[str]:
    _, discogs_url = limited_discogs
    clients = {
        "anonymous": False,
        "keys": [{"name": "tagger", "sha256": key_digest("k-secret-1"), "limit": 5}],
    }
    with gateway(discogs_url, clients=clients) as url:
        yield url


def test_keys_are_required_when_anonymous_access_is_off(keyed: str) -> None:
    assert httpx.get(f"{keyed}/artists/1").status_code == 401
    wrong = httpx.get(f"{keyed}/artists/1", headers={"X-Sleeve-Key": "nope"})
    assert wrong.status_code == 401
    assert "nope" not in wrong.text
    good = httpx.get(f"{keyed}/artists/1", headers={"X-Sleeve-Key": "k-secret-1"})
    assert good.status_code == 200
    assert good.headers["x-discogs-ratelimit"] == "5"


@pytest.mark.parametrize(
    ("headers", "query"),
    [({"Authorization": "Discogs token=k-secret-1"}, ""), ({}, "?token=k-secret-1")],
)
def test_a_key_in_a_discogs_form_is_sleeves_and_never_forwarded(
    keyed: str,
    limited_discogs: tuple[DiscogsEmulator, str],
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    query: str,
) -> None:
    caplog.set_level(logging.INFO)
    emulator, _ = limited_discogs
    answer = httpx.get(f"{keyed}/artists/2{query}", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["x-discogs-ratelimit"] == "5"
    (request,) = emulator.requests
    assert request.headers["Authorization"] == "Discogs token=emulator-token"
    assert "k-secret-1" not in request.path_qs
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "k-secret-1" not in server_log


@pytest.mark.slow
def test_two_processes_share_one_budget_per_key(
    limited_discogs: tuple[DiscogsEmulator, str], redis: RedisServer, tmp_path: pathlib.Path
) -> None:
    _, discogs_url = limited_discogs
    settings = {
        "SLEEVE_CLIENTS__ANONYMOUS": "false",
        "SLEEVE_CLIENTS__WINDOW": "3600",  # a run of seconds rarely straddles two
        "SLEEVE_CLIENTS__KEYS": json.dumps([{"name": "t", "sha256": key_digest("k2"), "limit": 4}]),
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with gateway_processes(discogs_url, redis.url, logs, **settings) as gateways:
        key = {"X-Sleeve-Key": "k2"}
        start_early_in_window(needed=8 * 1.1 + 8, window=3600)
        answers = []
        for i in range(8):  # alternately, two syncs apart: each process counts in memory and
            answers.append(httpx.get(f"{gateways[i % 2]}/artists/1", headers=key))
            time.sleep(1.1)  # adds its counts up in Redis every half second (two syncs)
    statuses = [a.status_code for a in answers]
    admitted = statuses.count(200)
    # one budget, not one each (8): at most the other process's latest request unseen
    assert 4 <= admitted <= 5, statuses
    assert set(statuses[admitted:]) == {429}, statuses
    left = [remaining(a) for a in answers[:admitted]]
    assert left == sorted(left, reverse=True) and left[-1] == 0, left


def test_a_passing_failure_is_retried_and_the_client_never_sees_it(
    limited_discogs: tuple[DiscogsEmulator, str],
) -> None:
    emulator, discogs_url = limited_discogs
    emulator.set_mode("error", status=502, times=1)
    with gateway(discogs_url) as url:
        answer = httpx.get(f"{url}/masters/2", timeout=10)
    assert answer.status_code == 200
    assert emulator.calls_by_path["/masters/2"] == 2


async def test_one_clients_crawl_does_not_starve_another_clients_lookup(
    limited_discogs: tuple[DiscogsEmulator, str],
) -> None:
    """The upstream's slots go round the clients waiting for them: a tagger's one lookup,
    asked behind a crawler's misses, is the next call but one that Discogs receives (the
    crawler's next call is already at the head of the line), not the last."""
    emulator, discogs_url = limited_discogs
    clients = {
        "anonymous": False,
        "keys": [
            {"name": "crawler", "sha256": key_digest("crawler-key")},
            {"name": "tagger", "sha256": key_digest("tagger-key")},
        ],
    }
    # One call a second: slots free one at a time, so the order Discogs sees is the
    # order of the line; the lookup has a whole second to join it.
    upstreams = {"discogs": {"rate_limit": 1, "window": 1.0, "max_wait": 30}}
    crawler, tagger = {"X-Sleeve-Key": "crawler-key"}, {"X-Sleeve-Key": "tagger-key"}
    with gateway(discogs_url, clients=clients, upstreams=upstreams) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            crawl = [
                asyncio.create_task(
                    client.get(f"/artists/1/releases?per_page={n}", headers=crawler)
                )
                for n in range(1, 6)
            ]
            while not emulator.requests:  # the crawl's first call has left; the rest wait
                await asyncio.sleep(0.01)
            lookup = await client.get("/releases/1", headers=tagger)
            answers = await asyncio.gather(*crawl)
    assert lookup.status_code == 200 and all(a.status_code == 200 for a in answers)
    paths = [request.path for request in emulator.requests]
    assert len(paths) == 6
    times = [round(r.time - emulator.requests[0].time, 2) for r in emulator.requests]
    assert paths.index("/releases/1") == 2, (paths, times)  # first come, first served: 5
