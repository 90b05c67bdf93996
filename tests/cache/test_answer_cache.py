"""The answer cache's decisions over time, without HTTP: a fake clock, a real SQLite store,
and an upstream that is a function counting its calls (after hishel's spec tests).

Each test walks one state transition of RFC 9111 freshness and RFC 5861's stale
extensions — fresh → stale-while-revalidate → stale-if-error → gone — or one rule of single
flight, and asserts on what was served and how many upstream calls it cost.
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import AsyncIterator

import pytest
from sleeve.adapters.http import UpstreamResponse, UpstreamUnreachable

from sleeve.cache.answer_cache import AnswerCache
from sleeve.cache.freshness import FreshnessPolicy
from sleeve.cache.keys import Kind
from sleeve.cache.rendered import RenderedAnswer
from sleeve.cache.sqlite_store import SQLiteStore

KIND = Kind("discogs", "artist")
KEY = "discogs:GET:/artists/1?#default"
# Fresh for 100 s; then served while refreshing for 50 s more; then, up to 500 s past
# freshness, only when the upstream fails; then gone.
POLICY = FreshnessPolicy(
    ttls={"discogs": {"artist": 100}},
    negative_ttl=10,
    stale_while_revalidate=50,
    stale_if_error=500,
)


class FakeClock:
    """Starts at the real time (the store drops what its own clock says has expired) and
    moves only when told to."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Upstream:
    """Answers ``body`` (or ``status``, or raises ``failure``), counting the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.body = b'{"id": 1, "v": 1}'
        self.status = 200
        self.headers: dict[str, str] = {}
        self.failure: Exception | None = None
        self.release: asyncio.Event | None = None  # when set, calls wait for it

    async def fetch(self) -> UpstreamResponse:
        self.calls += 1
        if self.release is not None:
            await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return UpstreamResponse(self.status, self.headers, self.body)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def cache(tmp_path: pathlib.Path, clock: FakeClock) -> AsyncIterator[AnswerCache]:
    store = SQLiteStore(tmp_path / "cache.db")
    cache = AnswerCache(store, POLICY, clock=clock, lock_ttl=2.0, poll_interval=0.01)
    yield cache
    await cache.close()
    await store.close()


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


async def test_a_miss_is_fetched_and_stored_then_a_hit_costs_nothing(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    first = await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(99)
    second = await cache.get(KEY, KIND, upstream.fetch)
    assert (first.outcome, second.outcome) == ("miss", "hit")
    assert second.answer.body == upstream.body
    assert second.answer.fresh_until == first.answer.stored_at + 100
    assert upstream.calls == 1


async def test_past_freshness_the_stale_answer_is_served_at_once_and_refreshed_behind(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(120)  # within stale-while-revalidate
    upstream.body = b'{"id": 1, "v": 2}'
    stale = await cache.get(KEY, KIND, upstream.fetch)
    assert stale.outcome == "stale"
    assert stale.answer.body == b'{"id": 1, "v": 1}'
    await cache.settled()  # the background refresh
    refreshed = await cache.get(KEY, KIND, upstream.fetch)
    assert (refreshed.outcome, refreshed.answer.body) == ("hit", b'{"id": 1, "v": 2}')
    assert upstream.calls == 2


async def test_stale_answers_already_refreshing_start_no_second_refresh(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(120)
    upstream.release = asyncio.Event()
    served = [await cache.get(KEY, KIND, upstream.fetch) for _ in range(5)]
    assert {answer.outcome for answer in served} == {"stale"}
    upstream.release.set()
    await cache.settled()
    assert upstream.calls == 2


@pytest.mark.parametrize(
    "failure",
    [UpstreamUnreachable("Discogs", "refused"), 503, 500, 429],
    ids=["unreachable", "503", "500", "429"],
)
async def test_past_revalidation_a_failing_upstream_gets_the_stale_answer(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock, failure: Exception | int
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(300)  # past stale-while-revalidate, within stale-if-error
    if isinstance(failure, Exception):
        upstream.failure = failure
    else:
        upstream.status, upstream.body = failure, b""
    served = await cache.get(KEY, KIND, upstream.fetch)
    assert served.outcome == "stale-if-error"
    assert served.answer.body == b'{"id": 1, "v": 1}'
    assert upstream.calls == 2


async def test_past_revalidation_a_working_upstream_replaces_the_answer(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(300)
    upstream.body = b'{"id": 1, "v": 2}'
    served = await cache.get(KEY, KIND, upstream.fetch)
    assert (served.outcome, served.answer.body) == ("miss", b'{"id": 1, "v": 2}')


async def test_past_every_grace_a_failure_is_the_clients(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    clock.advance(100 + 500 + 1)
    upstream.failure = UpstreamUnreachable("Discogs", "refused")
    with pytest.raises(UpstreamUnreachable):
        await cache.get(KEY, KIND, upstream.fetch)


async def started(upstream: Upstream) -> None:
    """Until the leader's call has begun. The store's reads run in order on its one
    thread, so by then every other caller has read its miss and joined the leader."""
    for _ in range(10_000):
        if upstream.calls:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the upstream was never called")


async def test_concurrent_misses_make_one_upstream_call(
    cache: AnswerCache, upstream: Upstream
) -> None:
    upstream.release = asyncio.Event()
    waiting = [asyncio.create_task(cache.get(KEY, KIND, upstream.fetch)) for _ in range(20)]
    await started(upstream)
    upstream.release.set()
    served = await asyncio.gather(*waiting)
    assert upstream.calls == 1
    assert {answer.answer.body for answer in served} == {upstream.body}
    assert sorted(answer.collapsed for answer in served) == [False] + [True] * 19


async def test_a_failed_leader_fails_its_followers_and_stores_nothing(
    cache: AnswerCache, upstream: Upstream
) -> None:
    upstream.release = asyncio.Event()
    upstream.failure = UpstreamUnreachable("Discogs", "refused")
    waiting = [asyncio.create_task(cache.get(KEY, KIND, upstream.fetch)) for _ in range(5)]
    await started(upstream)
    upstream.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, UpstreamUnreachable) for result in results)
    assert upstream.calls == 1
    upstream.failure, upstream.release = None, None
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "miss"
    assert upstream.calls == 2


async def test_a_404_is_kept_briefly_and_a_5xx_not_at_all(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    upstream.status = 404
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "miss"
    clock.advance(9)
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "hit"
    clock.advance(100)  # past the negative lifetime and its graces' start
    upstream.status = 500
    other = "discogs:GET:/artists/2?#default"
    assert (await cache.get(other, KIND, upstream.fetch)).outcome == "uncached"
    assert (await cache.get(other, KIND, upstream.fetch)).outcome == "uncached"
    assert upstream.calls == 3


async def test_only_the_headers_named_are_kept(cache: AnswerCache, upstream: Upstream) -> None:
    upstream.headers = {"Link": "<x>", "Set-Cookie": "secret", "X-Discogs-Media-Type": "d"}
    plain = await cache.get(KEY, KIND, upstream.fetch)
    kept = await cache.get("k2", KIND, upstream.fetch, keep=("X-Discogs-Media-Type",))
    assert dict(plain.answer.headers) == {"Link": "<x>"}
    assert dict(kept.answer.headers) == {"Link": "<x>", "X-Discogs-Media-Type": "d"}


async def test_kinds_of_two_upstreams_have_their_own_lifetimes(
    cache: AnswerCache, upstream: Upstream, clock: FakeClock
) -> None:
    musicbrainz_artist = Kind("musicbrainz", "artist")  # not in POLICY: the default hour
    await cache.get(KEY, KIND, upstream.fetch)
    await cache.get("mb", musicbrainz_artist, upstream.fetch)
    clock.advance(101)
    assert (await cache.get("mb", musicbrainz_artist, upstream.fetch)).outcome == "hit"
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "stale"


async def test_outcomes_are_counted_per_kind(cache: AnswerCache, upstream: Upstream) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    await cache.get(KEY, KIND, upstream.fetch)
    await cache.get(KEY, KIND, upstream.fetch)
    counts = await cache.counters()
    assert counts == {"discogs:artist:miss": 1, "discogs:artist:hit": 2}


async def test_a_purge_drops_stored_and_remembered_answers(
    cache: AnswerCache, upstream: Upstream
) -> None:
    await cache.get(KEY, KIND, upstream.fetch)
    cache.rendered.remember("fast", RenderedAnswer(b"x", (), '"e"', 0, 9e9, 9e9, KIND), now=0)
    assert await cache.purge(["discogs:GET:/artists/"]) == 1
    assert cache.rendered.recall("fast", 0) is None
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "miss"


async def test_a_store_that_is_gone_is_a_cache_that_misses(
    tmp_path: pathlib.Path, upstream: Upstream, clock: FakeClock
) -> None:
    store = SQLiteStore(tmp_path / "closed.db")
    await store.close()
    cache = AnswerCache(store, POLICY, clock=clock)
    upstream.release = asyncio.Event()
    waiting = [asyncio.create_task(cache.get(KEY, KIND, upstream.fetch)) for _ in range(3)]
    await started(upstream)
    upstream.release.set()
    served = await asyncio.gather(*waiting)
    assert {answer.outcome for answer in served} == {"miss"}
    assert upstream.calls == 1  # still coalesced within the process
    assert (await cache.get(KEY, KIND, upstream.fetch)).outcome == "miss"
    assert upstream.calls == 2
    await cache.close()
