"""Repeats of validated cache hits take the fast path, and lose nothing on the way."""

from __future__ import annotations

import asyncio
import pathlib

import httpx

from sleeve.cache.sqlite_store import SQLiteStore
from tests.conftest import RunningEmulator

# Headers that change from one answer to the next: time, the client's count, the request's id.
TIMED = {
    "x-request-id",
    "age",
    "cache-control",
    "cache-status",
    "date",
    "server",
    "x-discogs-ratelimit-used",
    "x-discogs-ratelimit-remaining",
    "ratelimit",
}


def get(base: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(base + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_a_repeat_is_the_same_answer(gateway_url: str, discogs: RunningEmulator) -> None:
    path = "/artists/1/releases?per_page=5&page=2"
    get(gateway_url, path)
    slow = get(gateway_url, path)  # a hit through the whole stack, now remembered
    fast = get(gateway_url, path)
    assert fast.content == slow.content
    stable = {k: v for k, v in slow.headers.items() if k not in TIMED}
    assert {k: v for k, v in fast.headers.items() if k not in TIMED} == stable
    assert fast.headers["cache-status"].startswith("sleeve; hit; ttl=")
    assert "link" in fast.headers and fast.headers["vary"] == "Accept"
    assert discogs.emulator.calls == 1


def test_conditional_repeats_get_304(gateway_url: str) -> None:
    etag = get(gateway_url, "/labels/1").headers["etag"]
    for _ in range(3):
        answer = get(gateway_url, "/labels/1", headers={"If-None-Match": etag})
        assert answer.status_code == 304
        assert answer.headers["etag"] == etag


def test_a_bad_header_is_still_rejected_after_a_good_repeat(gateway_url: str) -> None:
    get(gateway_url, "/labels/2")
    get(gateway_url, "/labels/2")
    too_long = get(gateway_url, "/labels/2", headers={"If-None-Match": "x" * 2000})
    assert too_long.status_code == 400
    assert "If-None-Match" in too_long.json()["message"]


def test_credentials_never_take_the_fast_path(gateway_url: str, discogs: RunningEmulator) -> None:
    get(gateway_url, "/releases/4")
    get(gateway_url, "/releases/4")
    private = get(gateway_url, "/releases/4", headers={"Authorization": "Discogs token=wrong"})
    assert private.status_code == 401
    assert get(gateway_url, "/releases/4?token=wrong").status_code == 401
    assert discogs.emulator.calls == 3


def test_representations_and_hosts_are_told_apart(gateway_url: str) -> None:
    html = {"Accept": "application/vnd.discogs.v2.html+json"}
    for _ in range(2):
        plain = get(gateway_url, "/artists/1").json()
        rich = get(gateway_url, "/artists/1", headers=html).json()
        other_host = get(gateway_url, "/artists/1", headers={"Host": "sleeve.example"}).json()
    assert plain["profile"] != rich["profile"]
    assert other_host["resource_url"] == "http://sleeve.example/artists/1"
    assert plain["resource_url"].startswith(gateway_url)


def test_a_repeat_is_answered_from_memory_without_the_store(
    gateway_url: str, gateway_cache: pathlib.Path, discogs: RunningEmulator
) -> None:
    """The fast path answers from the process' memory (for ``cache.local_max_age``), not
    from the store: with the stored answer gone behind the gateway's back — as a purge by
    another process does — a repeat is still a hit, and Discogs is not asked again. Without
    the fast path the repeat would miss and reach Discogs."""
    path = "/artists/2"
    first = get(gateway_url, path)
    assert first.headers["cache-status"].startswith("sleeve; fwd=miss")

    async def drop_behind_the_gateways_back() -> int:
        async with SQLiteStore(gateway_cache) as store:  # a second process' view
            return await store.purge_prefix("discogs:GET:/artists/2?")

    assert asyncio.run(drop_behind_the_gateways_back()) == 1
    repeat = get(gateway_url, path)
    assert repeat.headers["cache-status"].startswith("sleeve; hit")
    assert repeat.content == first.content
    assert discogs.emulator.calls == 1
