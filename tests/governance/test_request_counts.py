"""Client request limits as sliding window counters: the arithmetic with a fake clock, and
the batched sharing through a real Redis (two backends standing for two processes)."""

from __future__ import annotations

import asyncio
import pathlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from sleeve.backends.redis import RedisConnection
from sleeve.governance.count_totals import CountTotals, RedisCountTotals, SQLiteCountTotals
from sleeve.governance.request_counts import RequestCounts, RequestCountsBackend
from sleeve.governance.shared_request_counts import SharedRequestCountsBackend
from tests.cache.redis_server import RedisServer

LIMIT, WINDOW = 10, 10.0


def test_a_fresh_window_admits_the_limit_then_says_when_there_is_room() -> None:
    counts = RequestCounts()
    admissions = [counts.admit("a", LIMIT, WINDOW, now=5.0) for _ in range(LIMIT + 1)]
    assert [a.admitted for a in admissions] == [True] * LIMIT + [False]
    assert [a.used for a in admissions[:3]] == [1, 2, 3]
    refused = admissions[-1]
    assert (refused.used, refused.remaining) == (LIMIT, 0)
    # 10 in window 0 (0..10 s): one more fits when 1/10 of them has slid out, at 11 s
    assert refused.retry_after == pytest.approx(6.0)
    assert refused.reset == pytest.approx(15.0)  # both windows empty at 20 s


def test_the_previous_window_slides_out_as_the_current_one_fills() -> None:
    counts = RequestCounts()
    for _ in range(LIMIT):
        assert counts.admit("a", LIMIT, WINDOW, now=5.0).admitted
    # at 15 s half of window 0 is still inside the sliding window: estimate 5
    admitted = [counts.admit("a", LIMIT, WINDOW, now=15.0).admitted for _ in range(6)]
    assert admitted == [True] * 5 + [False]
    refused = counts.admit("a", LIMIT, WINDOW, now=15.0)
    assert refused.retry_after == pytest.approx(1.0)  # at 16 s: 10 * 0.4 + 5 = 9
    assert counts.admit("a", LIMIT, WINDOW, now=16.0 + 1e-6).admitted


def test_a_long_steady_client_gets_the_limit_and_never_twice_it() -> None:
    """Greedy requests every 0.1 s for 100 windows: the rate admitted is close to the
    limit's (the estimate errs on the strict side for a client always at its limit: 90%),
    never above it, and no window-long interval anywhere holds more than twice the limit."""
    counts = RequestCounts()
    times = [n / 10 for n in range(10_000)]  # 1,000 s
    admitted = [t for t in times if counts.admit("a", LIMIT, WINDOW, now=t).admitted]
    assert 0.88 * 1_000 / WINDOW * LIMIT <= len(admitted) <= (1_000 / WINDOW + 1) * LIMIT
    busiest = max(
        sum(1 for t in admitted if start <= t < start + WINDOW) for start in admitted[::7]
    )
    assert busiest <= 2 * LIMIT


def test_clients_are_counted_apart_and_the_least_recent_is_forgotten_past_the_bound() -> None:
    counts = RequestCounts(max_names=2)
    for _ in range(LIMIT):
        counts.admit("a", LIMIT, WINDOW, now=1.0)
    assert counts.admit("b", LIMIT, WINDOW, now=1.0).used == 1
    counts.admit("c", LIMIT, WINDOW, now=1.0)  # "a" was the least recently seen
    assert len(counts) == 2
    assert counts.admit("a", LIMIT, WINDOW, now=1.0).used == 1  # afresh


async def test_the_backend_answers_as_a_limiter_and_pauses() -> None:
    clock = [100.0]
    backend = RequestCountsBackend(clock=lambda: clock[0])
    limiter = backend.limiter("client:a", LIMIT, WINDOW)
    assert (await limiter.acquire()).admitted
    assert (await limiter.peek()).used == 1
    await limiter.pause(3.0)
    paused = await limiter.acquire()
    assert not paused.admitted and paused.retry_after == pytest.approx(3.0)
    clock[0] += 3.0
    assert (await limiter.acquire()).admitted
    await limiter.reset()
    assert (await limiter.peek()).used == 0


# --- shared through Redis ------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture(params=["redis", "sqlite"])
async def two_processes(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path: pathlib.Path
) -> AsyncIterator[tuple[SharedRequestCountsBackend, SharedRequestCountsBackend, list[float]]]:
    """Two backends standing for two processes, adding up in one Redis or one file."""
    clock = [1_000.0]
    namespace = f"t{uuid.uuid4().hex[:8]}"
    connections = [RedisConnection(redis_server.url) for _ in range(2)]
    totals: list[CountTotals] = (
        [RedisCountTotals(c, namespace=namespace) for c in connections]
        if request.param == "redis"
        else [SQLiteCountTotals(tmp_path / "client-limits.db") for _ in range(2)]
    )
    first, second = (
        # a long interval: the syncs here are the test's own (and each backend's first)
        SharedRequestCountsBackend(shared, sync_interval=3600, clock=lambda: clock[0])
        for shared in totals
    )
    yield first, second, clock
    for backend in (first, second):
        await backend.close()
    for connection in connections:
        await connection.close()


async def test_each_process_learns_the_others_counts_at_the_next_sync(
    two_processes: tuple[SharedRequestCountsBackend, SharedRequestCountsBackend, list[float]],
) -> None:
    first, second, clock = two_processes
    for _ in range(6):
        assert (await first.limiter("client:a", LIMIT, WINDOW).acquire()).admitted
    await first.sync()
    # second has never been asked about client:a: it reads the totals before judging
    assert (await second.limiter("client:a", LIMIT, WINDOW).acquire()).used == 7
    await second.sync()  # tells its 1, learns first's 6 again
    told = await second.limiter("client:a", LIMIT, WINDOW).acquire()
    assert (told.used, told.remaining) == (8, 2)
    for _ in range(2):
        await second.limiter("client:a", LIMIT, WINDOW).acquire()
    assert not (await second.limiter("client:a", LIMIT, WINDOW).acquire()).admitted
    await second.sync()
    await first.sync()  # learns second's 3 (as it would within an interval by itself)
    refused = await first.limiter("client:a", LIMIT, WINDOW).acquire()
    assert not refused.admitted and refused.remaining == 0
    # the next window: the last one counts for what is still inside the sliding one
    clock[0] += WINDOW / 2
    assert (await first.limiter("client:b", LIMIT, WINDOW).acquire()).used == 1


async def test_a_clients_first_requests_in_a_process_are_judged_by_every_processs_counts(
    two_processes: tuple[SharedRequestCountsBackend, SharedRequestCountsBackend, list[float]],
) -> None:
    """However many arrive at once, and however long ago the others counted them."""
    first, second, _ = two_processes
    for _ in range(LIMIT - 3):
        assert (await first.limiter("client:a", LIMIT, WINDOW).acquire()).admitted
    await first.sync()
    at_once = await asyncio.gather(
        *(second.limiter("client:a", LIMIT, WINDOW).acquire() for _ in range(LIMIT))
    )
    assert [admission.admitted for admission in at_once] == [True] * 3 + [False] * (LIMIT - 3)


async def test_counting_goes_on_without_redis_and_is_handed_over_when_it_is_back(
    redis_server: RedisServer,
) -> None:
    clock = [2_000.0]
    namespace = f"t{uuid.uuid4().hex[:8]}"
    closed = RedisConnection("redis://127.0.0.1:9/0", rest=0)  # nothing listens there
    alone = SharedRequestCountsBackend(
        RedisCountTotals(closed, namespace=namespace), clock=lambda: clock[0]
    )
    for _ in range(4):
        assert (await alone.limiter("client:a", LIMIT, WINDOW).acquire()).admitted
    await alone.sync()  # fails quietly; nothing is lost
    assert not await alone.healthy()
    assert alone.counts.get("client:a").unshared == 4  # type: ignore[union-attr]
    back = RedisConnection(redis_server.url)
    alone._totals = RedisCountTotals(back, namespace=namespace)  # its Redis is back
    await alone.sync()
    other = SharedRequestCountsBackend(
        RedisCountTotals(back, namespace=namespace), clock=lambda: clock[0]
    )
    await other.limiter("client:a", LIMIT, WINDOW).acquire()
    await other.sync()
    assert (await other.limiter("client:a", LIMIT, WINDOW).acquire()).used == 6
    for backend in (alone, other):
        await backend.close()
    await closed.close()
    await back.close()


async def test_a_process_learns_in_the_background_what_the_others_count(
    redis_server: RedisServer,
) -> None:
    """Every interval a process syncs every client asked about lately, so its view of a
    client whose requests mostly reach other processes is never older than that."""
    namespace = f"t{uuid.uuid4().hex[:8]}"
    connection = RedisConnection(redis_server.url)
    first, second = (
        SharedRequestCountsBackend(
            RedisCountTotals(connection, namespace=namespace), sync_interval=0.05
        )
        for _ in range(2)
    )
    await second.limiter("client:a", LIMIT, WINDOW).acquire()  # then nothing more here
    for _ in range(5):
        await first.limiter("client:a", LIMIT, WINDOW).acquire()
    for _ in range(200):  # a guard against a hang, not a timing: 10 s
        known = second.counts.get("client:a")
        if known is not None and known.shared_current == 5:
            break
        await asyncio.sleep(0.05)
    assert (await second.limiter("client:a", LIMIT, WINDOW).peek()).used == 6
    await first.close()
    await second.close()
    await connection.close()


async def test_a_count_is_decided_at_once_only_where_no_read_must_come_first(
    two_processes: tuple[SharedRequestCountsBackend, SharedRequestCountsBackend, list[float]],
) -> None:
    """The hit front asks without waiting: a client this process has not counted lately
    needs the totals read first, so the answer is "not now" and nothing is counted."""
    first, _, _ = two_processes
    assert first.admit_now("client:a", LIMIT, WINDOW) is None
    assert first.counts.get("client:a") is None or first.counts.get("client:a").current == 0  # type: ignore[union-attr]
    assert (await first.limiter("client:a", LIMIT, WINDOW).acquire()).used == 1
    now = first.admit_now("client:a", LIMIT, WINDOW)
    assert now is not None and (now.admitted, now.used) == (True, 2)
    alone = RequestCountsBackend()
    assert alone.admit_now("client:a", LIMIT, WINDOW).used == 1  # type: ignore[union-attr]
