"""sleeve's own token: renewed EARLY seconds before it lapses (a fake clock moves time),
kept in the store for the next process, forgotten when refused."""

from __future__ import annotations

import pathlib
import time

from sleeve.adapters.http import HttpClient
from sleeve.adapters.spotify import SpotifyAdapter

from sleeve.cache.sqlite_store import SQLiteStore
from sleeve.client_credentials import EARLY
from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.spotify import SpotifyEmulator
from sleeve.spotify.token import ClientCredentials


class Clock:
    """Starts at the real time (the store keeps entries by the real clock) and moves
    only when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_a_token_is_renewed_before_it_lapses_and_shared_through_the_store(
    tmp_path: pathlib.Path,
) -> None:
    emulator = SpotifyEmulator(token_lifetime=600)
    clock = Clock()
    http = HttpClient()
    await http.open()
    store = SQLiteStore(tmp_path / "cache.db")
    try:
        with EmulatorThread(emulator) as url:
            adapter = SpotifyAdapter(
                http, base_url=url, user_agent="test", connect_timeout=2, timeout=5
            )

            def credentials() -> ClientCredentials:
                return ClientCredentials(
                    adapter, store, accounts_url=f"{url}/api/token",
                    client_id="sample-spotify-id", client_secret="sample-spotify-secret",
                    clock=clock,
                )  # fmt: skip

            one, two = credentials(), credentials()  # two processes, one store
            first = await one.bearer()
            assert await two.bearer() == first  # from the store, no second grant
            clock.now += 600 - EARLY - 1
            assert await one.bearer() == first  # still good, with a margin left
            clock.now += 2  # within EARLY of its end: renewed
            renewed = await one.bearer()
            assert renewed != first and emulator.token_calls == 2
            await two.refused(renewed)  # a 401 for it, seen by the other process
            assert await two.bearer() not in (first, renewed)
            assert emulator.token_calls == 3
    finally:
        await http.close()
        await store.close()
