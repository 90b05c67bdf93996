"""The cache seen from outside: fewer upstream calls, honest caching headers, no leaks.

Each test runs against the gateway over real HTTP and counts what the emulator received.
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.servers import gateway


def get(base: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(base + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def is_hit(answer: httpx.Response) -> bool:
    return answer.headers["cache-status"].startswith("sleeve; hit")


def poll(
    ask: Callable[[], httpx.Response],
    *,
    until: Callable[[httpx.Response], bool],
    within: float,
) -> httpx.Response:
    """Ask every 50 ms until an answer satisfies ``until``; the last answer either way.

    ``within`` only bounds a wait that would otherwise never end."""
    deadline = time.monotonic() + within
    answer = ask()
    while not until(answer) and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = ask()
    return answer


def test_a_repeat_is_a_hit_with_validators(gateway_url: str, discogs: RunningEmulator) -> None:
    first = get(gateway_url, "/artists/1")
    second = get(gateway_url, "/artists/1")
    assert discogs.emulator.calls == 1
    assert first.headers["cache-status"].startswith("sleeve; fwd=miss; ttl=")
    assert first.headers["cache-status"].endswith("; stored")
    assert second.headers["cache-status"].startswith("sleeve; hit; ttl=")
    assert second.json() == first.json()
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"].startswith("public, max-age=")
    assert int(second.headers["age"]) >= 0


def test_a_matching_if_none_match_is_a_304(gateway_url: str) -> None:
    etag = get(gateway_url, "/releases/1").headers["etag"]
    again = get(gateway_url, "/releases/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    changed = get(gateway_url, "/releases/1", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_representations_are_cached_apart(gateway_url: str, discogs: RunningEmulator) -> None:
    html = {"Accept": "application/vnd.discogs.v2.html+json"}
    plain = get(gateway_url, "/artists/1").json()
    rich = get(gateway_url, "/artists/1", headers=html).json()
    assert plain["profile"] != rich["profile"]
    assert discogs.emulator.calls == 2


def test_query_order_and_defaults_share_one_entry(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    get(gateway_url, "/artists/1/releases")
    get(gateway_url, "/artists/1/releases?per_page=50&page=1")
    get(gateway_url, "/artists/1/releases?page=1&per_page=50")
    assert discogs.emulator.calls == 1


def test_not_found_is_cached_briefly(gateway_url: str, discogs: RunningEmulator) -> None:
    assert get(gateway_url, "/artists/999999").status_code == 404
    assert get(gateway_url, "/artists/999999").status_code == 404
    assert discogs.emulator.calls == 1


async def test_fifty_concurrent_misses_make_one_upstream_call(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    discogs.emulator.set_mode("delay", seconds=0.5)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        answers = await asyncio.gather(*(client.get("/masters/1") for _ in range(50)))
    assert {answer.status_code for answer in answers} == {200}
    assert discogs.emulator.calls_by_path["/masters/1"] == 1
    collapsed = [a for a in answers if "collapsed" in a.headers["cache-status"]]
    assert len(collapsed) == 49


def test_private_answers_never_reach_other_clients(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    private = get(
        gateway_url, "/releases/2", headers={"Authorization": "Discogs token=emulator-token"}
    )
    assert private.headers["cache-control"] == "private, no-store"
    assert private.headers["cache-status"] == "sleeve; fwd=bypass"
    public = get(gateway_url, "/releases/2")
    assert public.headers["cache-status"].startswith("sleeve; fwd=miss")
    again_private = get(gateway_url, "/releases/2?token=emulator-token")
    assert again_private.headers["cache-status"] == "sleeve; fwd=bypass"
    assert discogs.emulator.calls == 3


@pytest.fixture
def short_lived(discogs: RunningEmulator, tmp_path: pathlib.Path) -> Iterator[str]:
    """A gateway whose artists are fresh for 0.3 s, with no stale-while-revalidate."""
    cache = {
        "path": str(tmp_path / "cache.db"),
        "ttls": {"discogs": {"artist": 0.3}},
        "stale_while_revalidate": 0,
        "stale_if_error": 60,
    }
    with gateway(discogs.url, cache=cache) as url:
        yield url


@pytest.mark.parametrize(
    ("mode", "options"),
    [("error", {"status": 500}), ("drop", {}), ("ratelimited", {"retry_after": 1})],
)
def test_stale_is_served_while_the_upstream_fails_then_refreshed(
    short_lived: str, discogs: RunningEmulator, mode: str, options: dict
) -> None:
    original = get(short_lived, "/artists/2").json()
    time.sleep(0.4)
    discogs.emulator.set_mode(mode, **options)
    stale = get(short_lived, "/artists/2")
    assert stale.status_code == 200
    assert stale.json() == original
    assert 'detail="stale-if-error"' in stale.headers["cache-status"]
    discogs.emulator.set_mode("ok")
    time.sleep(options.get("retry_after", 0))  # Discogs asked for a pause; sleeve keeps it
    refreshed = get(short_lived, "/artists/2")
    assert refreshed.headers["cache-status"].startswith("sleeve; fwd=miss")


def test_stale_while_revalidate_answers_at_once_and_refreshes_behind(
    discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    """Fresh for a second: long enough that the refreshed entry is seen fresh however late
    a busy machine looks, short enough to go stale quickly."""
    cache = {
        "path": str(tmp_path / "c.db"),
        "ttls": {"discogs": {"label": 1}},
        "stale_while_revalidate": 60,
    }
    with gateway(discogs.url, cache=cache) as url:
        get(url, "/labels/1")
        time.sleep(1.1)
        delay = 1.5
        discogs.emulator.set_mode("delay", seconds=delay)
        started = time.monotonic()
        stale = get(url, "/labels/1")
        # The stale copy at once, not the upstream's answer after its delay (half of it
        # is room for a busy machine).
        assert time.monotonic() - started < delay / 2
        assert 'detail="stale-while-revalidate"' in stale.headers["cache-status"]
        # Behind it, one refresh; until it lands, answers stay stale and ask nobody else.
        refreshed = poll(lambda: get(url, "/labels/1"), until=is_hit, within=10 + delay)
        assert discogs.emulator.calls_by_path["/labels/1"] == 2
        assert refreshed.headers["cache-status"].startswith("sleeve; hit")


def test_a_restart_keeps_the_embedded_cache(
    discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    cache = {"path": str(tmp_path / "kept.db")}
    with gateway(discogs.url, cache=cache) as url:
        first = get(url, "/releases/3").json()
    with gateway(discogs.url, cache=cache) as url:
        again = get(url, "/releases/3")
    assert again.headers["cache-status"].startswith("sleeve; hit")
    assert (again.json()["id"], again.json()["title"]) == (first["id"], first["title"])
    assert again.json()["resource_url"] == f"{url}/releases/3"  # links follow the new host
    assert discogs.emulator.calls == 1


async def test_a_crashed_filler_elsewhere_blocks_others_only_until_its_lock_expires(
    discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    """Another process took the fill lock and died: the lock's TTL bounds the wait."""
    from sleeve.cache.keys import cache_key
    from sleeve.cache.sqlite_store import SQLiteStore

    cache = {"path": str(tmp_path / "shared.db"), "lock_ttl": 1.0}
    key = cache_key("discogs", "/labels/3", [], None)
    with gateway(discogs.url, cache=cache) as url:
        crashed = SQLiteStore(tmp_path / "shared.db")  # taken once the gateway is up
        assert await crashed.try_lock(f"fill:{key}", ttl=1.0) is not None  # and never unlocks
        await crashed.close()
        async with httpx.AsyncClient(timeout=10) as client:
            started = time.monotonic()
            answer = await client.get(f"{url}/labels/3")
            waited = time.monotonic() - started
    assert answer.status_code == 200
    assert 0.5 < waited < 2.5
    assert discogs.emulator.calls == 1
