"""python3-discogs-client, unchanged but for its base URL, works through sleeve.

The client follows the URLs in answers (``releases_url``, ``versions_url``, pagination),
so these tests also prove that those links keep it on sleeve: the emulator sees every
request arrive with sleeve's User-Agent, never the client's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client_libraries import require
from tests.conftest import RunningEmulator

discogs_client = require("discogs_client", "python3-discogs-client")

CLIENT_AGENT = "SleeveClientTest/1.0 +https://example.invalid"


@pytest.fixture
def client(gateway_url: str) -> Iterator[discogs_client.Client]:
    client = discogs_client.Client(CLIENT_AGENT)  # no credentials: sleeve brings its own
    client._base_url = gateway_url
    yield client


def assert_all_through_sleeve(discogs: RunningEmulator) -> None:
    agents = {request.headers.get("User-Agent", "") for request in discogs.emulator.requests}
    assert agents and all(agent.startswith("sleeve/") for agent in agents)


def test_artist_and_all_its_release_pages(
    client: discogs_client.Client, discogs: RunningEmulator
) -> None:
    artist = client.artist(1)
    assert artist.name == "The Example Ensemble"
    releases = artist.releases
    releases.per_page = 50
    titles = [release.title for release in releases]
    assert len(titles) == releases.count == 128
    assert releases.pages == 3
    assert discogs.emulator.calls_by_path["/artists/1/releases"] == 3
    assert_all_through_sleeve(discogs)


def test_master_and_its_versions(client: discogs_client.Client, discogs: RunningEmulator) -> None:
    master = client.master(1)
    assert master.title == "Fictional Frequencies"
    assert master.main_release.id == 1
    versions = list(master.versions)
    assert len(versions) == 64
    assert discogs.emulator.calls_by_path["/masters/1/versions"] == 2
    assert_all_through_sleeve(discogs)


def test_label_and_its_releases(client: discogs_client.Client, discogs: RunningEmulator) -> None:
    label = client.label(1)
    assert label.name == "Placeholder Records"
    assert [sub.id for sub in label.sublabels] == [2]
    assert len(list(label.releases)) == 114
    assert_all_through_sleeve(discogs)


def test_release_details(client: discogs_client.Client, discogs: RunningEmulator) -> None:
    release = client.release(1)
    assert release.master.id == 1
    assert release.artists[0].name == "The Example Ensemble"
    assert release.images
    assert_all_through_sleeve(discogs)


def test_search_without_client_credentials(
    client: discogs_client.Client, discogs: RunningEmulator
) -> None:
    results = client.search("example", type="artist")
    names = [result.name for result in results]
    assert "The Example Ensemble" in names
    assert_all_through_sleeve(discogs)


def test_a_client_with_its_own_token(gateway_url: str, discogs: RunningEmulator) -> None:
    client = discogs_client.Client(CLIENT_AGENT, user_token="emulator-token")
    client._base_url = gateway_url
    assert client.release(2).title
    (request,) = discogs.emulator.requests
    assert request.headers["Authorization"] == "Discogs token=emulator-token"
