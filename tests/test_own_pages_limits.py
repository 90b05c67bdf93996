"""sleeve's own pages are counted apart from upstream-bound requests: a client polling the
stats page keeps its whole quota for Discogs, MusicBrainz and the rest, and the polling is
still bounded, by a count of its own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.url_space import is_sleeves_own
from tests.client_windows import start_early_in_window
from tests.servers import gateway

LIMIT = 3


@pytest.fixture
def limited() -> Iterator[tuple[DiscogsEmulator, str]]:
    emulator = DiscogsEmulator()
    with (
        EmulatorThread(emulator) as discogs_url,
        gateway(discogs_url, clients={"anonymous_limit": LIMIT, "window": 60}) as url,
    ):
        yield emulator, url


def remaining(answer: httpx.Response) -> int:
    return int(answer.headers["x-discogs-ratelimit-remaining"])


def test_polling_the_stats_page_spends_none_of_the_upstream_bound_quota(
    limited: tuple[DiscogsEmulator, str],
) -> None:
    emulator, url = limited
    start_early_in_window(needed=10)
    polls = [httpx.get(f"{url}/_sleeve/images/stats.html") for _ in range(LIMIT)]
    assert [poll.status_code for poll in polls] == [200] * LIMIT
    assert polls[0].headers["ratelimit-policy"] == f'"sleeve-pages";q={LIMIT};w=60'

    asked = [httpx.get(f"{url}/artists/{n}") for n in (1, 2, 3, 4)]
    assert [answer.status_code for answer in asked] == [200, 200, 200, 429]
    assert [remaining(answer) for answer in asked] == [2, 1, 0, 0]  # the whole quota
    assert asked[0].headers["ratelimit-policy"] == f'"sleeve";q={LIMIT};w=60'
    assert emulator.calls == LIMIT


def test_the_own_pages_count_is_bounded_too_and_spent_upstream_quota_does_not_close_it(
    limited: tuple[DiscogsEmulator, str],
) -> None:
    _, url = limited
    start_early_in_window(needed=10)
    for n in range(1, LIMIT + 1):
        assert httpx.get(f"{url}/artists/{n}").status_code == 200
    assert httpx.get(f"{url}/artists/9").status_code == 429  # the upstream-bound count is spent
    pages = [
        httpx.get(f"{url}/_sleeve/images/stats"),
        httpx.get(f"{url}/_sleeve/cache/stats"),
        httpx.get(f"{url}/_sleeve/images/stats.html"),
        httpx.get(f"{url}/_sleeve/images/stats"),
    ]
    assert [page.status_code for page in pages] == [200, 200, 200, 429]
    assert pages[3].headers["ratelimit-policy"].startswith('"sleeve-pages"')
    # Never counted at all, as before: health checks and the contract.
    for _ in range(LIMIT + 1):
        assert httpx.get(f"{url}/_sleeve/health").status_code == 200
        assert httpx.get(f"{url}/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("path", "own"),
    [
        ("/_sleeve/images/stats.html", True),
        ("/_sleeve/blobs/" + "0" * 64, True),
        ("/openapi.json", True),
        ("/metrics", True),
        ("/docs", True),
        ("/", False),  # Discogs' root, answered from Discogs
        ("/images/releases/1/0", False),  # a miss spends Discogs' image budget
        ("/_sleevex", False),
        ("/ws/2/artist/x", False),
        ("/release/x/front", False),
    ],
)
def test_which_paths_are_sleeves_own(path: str, own: bool) -> None:
    assert is_sleeves_own(path) is own
