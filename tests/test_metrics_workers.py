"""Several ``sleeve serve`` processes sharing one ``PROMETHEUS_MULTIPROC_DIR`` (as
``sleeve serve --workers N`` runs them): ``/metrics`` from any of them counts all of their
requests; their logs are JSON lines (``server.log_format: json``) with each request's id."""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cache.redis_server import RedisServer
from tests.conftest import RunningEmulator
from tests.metrics import Samples, delta, scrape, value
from tests.servers import gateway_processes

pytestmark = pytest.mark.slow


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


def json_lines(log: pathlib.Path) -> list[dict]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


# Each process folds its requests into the shared files once a second: a bound on polls.
POLLS = 200


def counted(base: str, before: Samples, wanted: int, name: str, **labels: str) -> Samples:
    """A scrape of ``base`` once ``name`` with ``labels`` counts ``wanted`` more than
    ``before`` (or the last scrape)."""
    for _ in range(POLLS):
        after = scrape(base)
        if delta(before, after, name, **labels) >= wanted:
            return after
        time.sleep(0.05)
    return after


REQUESTS = ("sleeve_requests_total", {"operation": "getArtist", "status": "200"})
HITS = ("sleeve_cache_answers_total", {"upstream": "discogs", "kind": "artist", "outcome": "hit"})


def test_any_worker_counts_every_workers_requests(
    discogs: RunningEmulator, redis: RedisServer, tmp_path: pathlib.Path
) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with gateway_processes(
        discogs.url,
        redis.url,
        logs,
        PROMETHEUS_MULTIPROC_DIR=str(shared),
        SLEEVE_SERVER__LOG_FORMAT="json",
        SLEEVE_SERVER__LOG_LEVEL="info",
    ) as (a, b):
        before = scrape(a)
        sent = [("a-1", a), ("a-2", a), ("b-1", b), ("b-2", b), ("b-3", b)]
        for request_id, base in sent:
            answer = httpx.get(f"{base}/artists/1", headers={"X-Request-Id": request_id})
            assert answer.status_code == 200
        from_a, from_b = (counted(base, before, 5, REQUESTS[0], **REQUESTS[1]) for base in (a, b))
        # The cache's outcomes: the store's counters, which every worker adds to each second.
        cached = counted(a, before, 4, HITS[0], **HITS[1])

    name, labels = "sleeve_requests_total", {"operation": "getArtist", "status": "200"}
    for after in (from_a, from_b):
        assert delta(before, after, name, **labels) == 5
        count = "sleeve_request_duration_seconds_count"
        assert delta(before, after, count, operation="getArtist") == 5
        calls = "sleeve_upstream_calls_total"
        assert value(after, calls, upstream="discogs", status="200") == 1
    assert discogs.emulator.calls == 1
    assert delta(before, cached, HITS[0], **HITS[1]) == 4  # a's second, and all of b's
    misses = {**HITS[1], "outcome": "miss"}
    assert delta(before, cached, HITS[0], **misses) == 1
    assert len(list(shared.glob("*.db"))) >= 2  # each process its own files

    access = {
        line["request_id"]: line
        for log in logs
        for line in json_lines(log)
        if line.get("logger") == "sleeve.access"
    }
    assert {"a-1", "a-2", "b-1", "b-2", "b-3"} <= set(access)
    first = access["a-1"]
    assert (first["operation"], first["status"], first["cache"], first["upstream_calls"]) == (
        "getArtist",
        200,
        "miss",
        1,
    )
    assert first["client"] == "address:127.0.0.1"
    assert first["level"] == "INFO"
    assert all(access[i]["upstream_calls"] == 0 for i in ("a-2", "b-1", "b-2", "b-3"))
    assert access["b-1"]["cache"] == "hit"  # from the shared store
