"""The image endpoint's fallback chain: when Discogs cannot give a release's or master's
primary image (here, because the day's image budget is spent), the Cover Art Archive's
front art of its MusicBrainz counterpart is served and kept in its place."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.emulators.metabrainz_data import (
    DISCOGS_LINKED_RELEASE_ID,
    RELEASE_GROUP_WITH_ART_MBID,
    RELEASE_WITH_ART_MBID,
)
from tests.conftest import RunningCoverArt, RunningMusicBrainz, metabrainz_settings
from tests.servers import gateway

RELEASE_GROUP_ONLY = 2  # its MusicBrainz release has no art; its release group has
SPENDER = 4  # a Discogs release whose image spends the budget
UNLINKED_WITH_IMAGE = 1002  # no MusicBrainz counterpart


@pytest.fixture
def discogs_images() -> Iterator[tuple[DiscogsEmulator, str]]:
    emulator = DiscogsEmulator(
        rate_limit=1_000_000, anonymous_rate_limit=1_000_000, image_host="self"
    )
    with EmulatorThread(emulator) as url:
        yield emulator, url


def sleeve_with(
    discogs_url: str,
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    tmp_path: pathlib.Path,
    **images: Any,
) -> Any:
    settings = metabrainz_settings(musicbrainz, coverart)
    settings["images"].update(
        {"path": str(tmp_path / "images"), "allowed_hosts": ["127.0.0.1"], "daily_budget": 1}
    )
    settings["images"].update(images)
    return gateway(discogs_url, **settings)


def jpeg_width(answer: httpx.Response) -> int:
    assert answer.status_code == 200, answer.text
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "JPEG"
    return image.width


def spend_the_budget(url: str, emulator: DiscogsEmulator) -> None:
    assert httpx.get(f"{url}/images/releases/{SPENDER}/0").status_code == 200
    assert emulator.image_calls == 1


def test_a_spent_budget_falls_back_to_the_release_front_and_keeps_it(
    discogs_images: tuple[DiscogsEmulator, str],
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    tmp_path: pathlib.Path,
) -> None:
    emulator, discogs_url = discogs_images
    with sleeve_with(discogs_url, musicbrainz, coverart, tmp_path) as url:
        spend_the_budget(url, emulator)
        link = f"{url}/images/releases/{DISCOGS_LINKED_RELEASE_ID}/0"
        first = httpx.get(link)
        assert jpeg_width(first) == 1400  # the archive's full-size front, not Discogs' 600
        assert emulator.image_calls == 1  # Discogs was not asked: no budget left
        assert coverart.emulator.calls_by_path[f"/release/{RELEASE_WITH_ART_MBID}/front"] == 1
        assert coverart.emulator.download_calls == 1
        again = httpx.get(link)
        assert again.content == first.content
        assert jpeg_width(httpx.get(link, params={"size": 150})) == 150  # made from it
        assert coverart.emulator.download_calls == 1 and emulator.image_calls == 1
        stats = httpx.get(f"{url}/_sleeve/images/stats").json()
        assert "fallback" in str(stats)


def test_the_release_group_front_stands_in_when_the_release_has_none(
    discogs_images: tuple[DiscogsEmulator, str],
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    tmp_path: pathlib.Path,
) -> None:
    emulator, discogs_url = discogs_images
    with sleeve_with(discogs_url, musicbrainz, coverart, tmp_path) as url:
        spend_the_budget(url, emulator)
        answer = httpx.get(f"{url}/images/releases/{RELEASE_GROUP_ONLY}/0")
        assert jpeg_width(answer) > 0
        group_front = f"/release-group/{RELEASE_GROUP_WITH_ART_MBID}/front"
        assert coverart.emulator.calls_by_path[group_front] == 1


def test_without_a_counterpart_or_a_chain_the_budget_answer_stands(
    discogs_images: tuple[DiscogsEmulator, str],
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    tmp_path: pathlib.Path,
) -> None:
    emulator, discogs_url = discogs_images
    with sleeve_with(discogs_url, musicbrainz, coverart, tmp_path / "a") as url:
        spend_the_budget(url, emulator)
        unlinked = httpx.get(f"{url}/images/releases/{UNLINKED_WITH_IMAGE}/0")
        assert unlinked.status_code == 503 and int(unlinked.headers["retry-after"]) > 0
        assert "budget" in unlinked.json()["message"]
        missing = httpx.get(f"{url}/images/releases/5/0")  # Discogs has no image, nor MB
        assert missing.status_code == 404
    emulator.reset()
    only_discogs = {"sources": ["discogs"]}
    with sleeve_with(discogs_url, musicbrainz, coverart, tmp_path / "b", **only_discogs) as url:
        spend_the_budget(url, emulator)
        linked = httpx.get(f"{url}/images/releases/{DISCOGS_LINKED_RELEASE_ID}/0")
        assert linked.status_code == 503
    assert coverart.emulator.download_calls == 0


def test_the_archive_first_spares_the_discogs_budget(
    discogs_images: tuple[DiscogsEmulator, str],
    musicbrainz: RunningMusicBrainz,
    coverart: RunningCoverArt,
    tmp_path: pathlib.Path,
) -> None:
    emulator, discogs_url = discogs_images
    archive_first = {"sources": ["coverartarchive-release", "discogs"]}
    with sleeve_with(discogs_url, musicbrainz, coverart, tmp_path, **archive_first) as url:
        linked = httpx.get(f"{url}/images/releases/{DISCOGS_LINKED_RELEASE_ID}/0")
        assert jpeg_width(linked) == 1400 and emulator.image_calls == 0
        unlinked = httpx.get(f"{url}/images/releases/{UNLINKED_WITH_IMAGE}/0")
        assert jpeg_width(unlinked) > 0  # Discogs, with the budget the archive spared
        assert emulator.image_calls == 1
