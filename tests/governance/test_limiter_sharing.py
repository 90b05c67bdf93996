"""Sharing, on every backend: one name is one count, whoever asks; names do not mix.

For Redis, ``limits.open()`` is a second backend object: another process's view.
"""

from __future__ import annotations

from sleeve.governance.limiter import LimiterBackend
from tests.concurrently import gather_all
from tests.governance.conftest import Limits


async def test_limiters_of_one_name_share_the_count(backend: LimiterBackend) -> None:
    first, second = backend.limiter("api", 3, 60.0), backend.limiter("api", 3, 60.0)
    assert (await first.acquire()).used == 1
    assert (await second.acquire()).used == 2
    assert (await first.acquire()).used == 3
    assert not (await second.acquire()).admitted
    await second.reset()
    assert (await first.acquire()).used == 1


async def test_backends_share_counts_and_pauses(limits: Limits) -> None:
    here, there = limits.open().limiter("api", 4, 60.0), limits.open().limiter("api", 4, 60.0)
    answers = await gather_all(*(limiter.acquire() for limiter in (here, there) * 3))
    assert sorted(a.used for a in answers if a.admitted) == [1, 2, 3, 4]
    assert len([a for a in answers if not a.admitted]) == 2
    await here.reset()
    await there.pause(30.0)
    assert not (await here.acquire()).admitted


async def test_names_are_independent(backend: LimiterBackend) -> None:
    full = backend.limiter("client:192.0.2.1", 1, 60.0)
    assert (await full.acquire()).admitted
    await full.pause(60.0)
    for name in ("client:192.0.2.2", "client:192.0.2.1 ", "client:*", "ünïcødé\udc80"):
        assert (await backend.limiter(name, 1, 60.0).acquire()).admitted, name
