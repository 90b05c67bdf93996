"""Entries, on every backend: what goes in comes out, until keep_until, never corrupt."""

from __future__ import annotations

import asyncio

import pytest

from sleeve.cache import CachedAnswer, CacheStore
from tests.cache.answers import answer
from tests.cache.conftest import Backend
from tests.concurrently import gather_all


async def test_a_missing_key_is_none(store: CacheStore) -> None:
    assert await store.get("discogs:/releases/1") is None


async def test_round_trip(store: CacheStore) -> None:
    stored = answer(headers=(("Link", '<https://sleeve.example/a?page=2>; rel="next"'),))
    await store.put("discogs:/releases/1", stored)
    assert await store.get("discogs:/releases/1") == stored


async def test_negative_answers_round_trip(store: CacheStore) -> None:
    stored = answer(b'{"message": "Release not found."}', status=404)
    await store.put("discogs:/releases/0", stored)
    assert await store.get("discogs:/releases/0") == stored


@pytest.mark.parametrize(
    "key",
    ["k" * 2048, "ключ/релиз?q=ä&b=1", "with space\nand\x00nul", "lone-\udc80-surrogate", ""],
    ids=["2kb", "unicode", "control", "surrogate", "empty"],
)
async def test_any_string_is_a_key(store: CacheStore, key: str) -> None:
    stored = answer(key.encode("utf-8", "surrogatepass"))
    await store.put(key, stored)
    assert await store.get(key) == stored


async def test_put_replaces(store: CacheStore) -> None:
    await store.put("k", answer(b"old"))
    await store.put("k", answer(b"new", status=404))
    got = await store.get("k")
    assert got is not None
    assert (got.body, got.status) == (b"new", 404)


async def test_an_entry_is_gone_at_keep_until(store: CacheStore) -> None:
    """Kept 0.6 s: time for three calls on a busy machine before it must still be there."""
    await store.put("short", answer(keep_for=0.6, fresh_for=0.1))
    await store.put("long", answer(keep_for=60))
    assert await store.get("short") is not None
    await asyncio.sleep(0.65)
    assert await store.get("short") is None
    assert await store.get("long") is not None


async def test_an_answer_already_past_keep_until_replaces_without_being_stored(
    store: CacheStore,
) -> None:
    await store.put("k", answer())
    await store.put("k", answer(keep_for=-1, fresh_for=-2))
    assert await store.get("k") is None


async def test_delete(store: CacheStore) -> None:
    await store.put("k", answer())
    assert await store.delete("k") is True
    assert await store.get("k") is None
    assert await store.delete("k") is False


async def test_purge_prefix_drops_exactly_the_keys_under_it(store: CacheStore) -> None:
    keys = ["a/1", "a/2", "a/2/x", "ab", "b/a/1", "A/1"]
    for key in keys:
        await store.put(key, answer())
    assert await store.purge_prefix("a/") == 3
    assert [key for key in keys if await store.get(key) is not None] == ["ab", "b/a/1", "A/1"]


@pytest.mark.parametrize("prefix", ["q*", "q?", "q[", "q[a-z]", "q\\", "q]", "q^"])
async def test_purge_prefix_takes_pattern_characters_literally(
    store: CacheStore, prefix: str
) -> None:
    keys = ["q*", "q*1", "q?", "q?1", "q[", "q[a-z]", "q[a-z]1", "qa", "qb1", "q\\", "q\\*", "q]"]
    keys += ["q^", "q^x", "qx"]
    for key in keys:
        await store.put(key, answer())
    expected = {key for key in keys if key.startswith(prefix)}
    assert await store.purge_prefix(prefix) == len(expected)
    assert {key for key in keys if await store.get(key) is None} == expected


async def test_purge_prefix_handles_non_ascii_and_high_bytes(store: CacheStore) -> None:
    keys = ["ü/1", "ü/2", "ü0", "\U0010ffff/1", "\U0010ffff", "\U0010fffe"]
    for key in keys:
        await store.put(key, answer())
    assert await store.purge_prefix("ü/") == 2
    assert await store.purge_prefix("\U0010ffff") == 2
    assert await store.get("ü0") is not None
    assert await store.get("\U0010fffe") is not None


async def test_purge_of_everything_leaves_locks_and_counters(store: CacheStore) -> None:
    for index in range(1200):
        await store.put(f"p/{index}", answer(b""))
    await store.incr("hits")
    token = await store.try_lock("p/0", ttl=10)
    assert token is not None
    assert await store.purge_prefix("") == 1200
    assert await store.get("p/0") is None
    assert await store.counters() == {"hits": 1}
    assert await store.try_lock("p/0", ttl=10) is None


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not an entry", b"\x80\x04\x95\x00pickle", b"SC\x01" + b"\x00" * 40],
    ids=["empty", "text", "pickle", "header-only"],
)
async def test_a_corrupt_entry_is_a_miss_and_is_deleted(
    backend: Backend, store: CacheStore, garbage: bytes
) -> None:
    await store.put("k", answer())
    await backend.write_raw("k", garbage)
    assert await store.get("k") is None
    assert await store.delete("k") is False


async def test_a_truncated_entry_is_a_miss(backend: Backend, store: CacheStore) -> None:
    data = answer(b"x" * 5000).encode()
    await backend.write_raw("k", data[: len(data) // 2])
    assert await store.get("k") is None


async def test_a_stored_entry_is_what_another_store_reads(backend: Backend) -> None:
    writer, reader = backend.open(), backend.open()
    stored = answer(b"shared")
    await writer.put("k", stored)
    assert await reader.get("k") == stored
    await reader.delete("k")
    assert await writer.get("k") is None


async def test_concurrent_calls_on_one_store(store: CacheStore) -> None:
    async def round_trip(index: int) -> CachedAnswer | None:
        await store.put(f"c/{index}", answer(str(index).encode()))
        return await store.get(f"c/{index}")

    results = await gather_all(*(round_trip(index) for index in range(100)))
    assert [result.body if result else None for result in results] == [
        str(index).encode() for index in range(100)
    ]


async def test_a_closed_store_can_be_closed_again(backend: Backend) -> None:
    opened = backend.open()
    await opened.close()
    await opened.close()
