"""The AcousticBrainz API through a running gateway: dumps imported with the real command,
answered over HTTP to plain clients and to beets' acousticbrainz plugin, and misses sent
to a self-hosted server when one is configured."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.acousticbrainz import dumps
from tests.client_libraries import require
from tests.conftest import RunningEmulator
from tests.servers import gateway

A, B = dumps.mbid_for(201), dumps.mbid_for(202)
UNKNOWN = dumps.mbid_for(299)
HIGH = [(A, 0), (A, 1), (B, 0)]
LOW = [(A, 0), (B, 0)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """An archive filled by ``sleeve import acousticbrainz``, as an operator would."""
    folder = tmp_path_factory.mktemp("ab-api")
    highs = dumps.write_archive(folder / "highlevel-0.tar.zst", dumps.members("highlevel", HIGH))
    lows = dumps.write_archive(folder / "lowlevel-0.tar.zst", dumps.members("lowlevel", LOW))
    database = folder / "archive.db"
    command = [sys.executable, "-m", "sleeve", "import", "acousticbrainz", str(highs), str(lows)]
    done = subprocess.run(
        [*command, "--db", str(database), "--no-progress"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "5" in done.stdout  # the summary counts what it imported
    return database


@pytest.fixture(scope="module")
def ab_url(discogs: RunningEmulator, archive: pathlib.Path) -> Iterator[str]:
    with gateway(discogs.url, acousticbrainz={"path": str(archive)}) as url:
        yield url


def test_single_lookups_answer_from_the_archive(ab_url: str) -> None:
    low = httpx.get(f"{ab_url}/api/v1/{A}/low-level")
    assert low.status_code == 200, low.text
    assert "lowlevel" in low.json() and low.json()["metadata"]
    second = httpx.get(f"{ab_url}/api/v1/{A.upper()}/high-level", params={"n": 1})
    assert second.status_code == 200, second.text
    assert "highlevel" in second.json()
    assert httpx.get(f"{ab_url}/api/v1/{A}/count").json() == {"mbid": A, "count": 2}
    assert httpx.get(f"{ab_url}/api/v1/{A}/high-level", params={"n": 5}).status_code == 404
    missing = httpx.get(f"{ab_url}/api/v1/{UNKNOWN}/low-level")
    assert missing.status_code == 404 and "message" in missing.json()


def test_answers_are_validated_and_revalidated(ab_url: str) -> None:
    first = httpx.get(f"{ab_url}/api/v1/{B}/high-level")
    assert first.headers["etag"] and "max-age" in first.headers["cache-control"]
    again = httpx.get(
        f"{ab_url}/api/v1/{B}/high-level", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert int(first.headers["x-ratelimit-limit"]) > 0
    assert int(first.headers["x-ratelimit-remaining"]) >= 0
    assert int(first.headers["x-ratelimit-reset-in"]) >= 0


def test_bulk_lookups_leave_unknown_recordings_out_and_lower_case_keys(ab_url: str) -> None:
    ids = f"{A.upper()}:1;{B};{UNKNOWN}"
    bulk = httpx.get(f"{ab_url}/api/v1/high-level", params={"recording_ids": ids})
    assert bulk.status_code == 200, bulk.text
    body = bulk.json()
    assert set(body[A]) == {"1"} and set(body[B]) == {"0"}
    assert UNKNOWN not in body and A.upper() not in body
    counts = httpx.get(f"{ab_url}/api/v1/count", params={"recording_ids": f"{A};{B};{UNKNOWN}"})
    assert counts.json()[A] == {"count": 2} and counts.json()[B] == {"count": 1}
    assert UNKNOWN not in counts.json()


def test_more_than_25_recordings_is_a_400_naming_the_limit(ab_url: str) -> None:
    ids = ";".join(dumps.mbid_for(seed) for seed in range(26))
    answer = httpx.get(f"{ab_url}/api/v1/low-level", params={"recording_ids": ids})
    assert answer.status_code == 400
    assert "25" in answer.json()["message"]
    bad = httpx.get(f"{ab_url}/api/v1/low-level", params={"recording_ids": "not-an-mbid"})
    assert bad.status_code == 400 and "not-an-mbid" in bad.json()["message"]


def test_submissions_and_datasets_say_the_archive_is_read_only(ab_url: str) -> None:
    submitted = httpx.post(f"{ab_url}/api/v1/{A}/low-level", json={"lowlevel": {}})
    assert submitted.status_code == 410
    assert "read-only" in submitted.json()["message"]
    dataset = httpx.get(f"{ab_url}/api/v1/datasets/{A}")
    assert dataset.status_code == 410


def test_beets_acousticbrainz_plugin_reads_through_sleeve(
    ab_url: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEETSDIR", str(tmp_path))
    config = require("beets").config
    AcousticPlugin = require("beetsplug.acousticbrainz", "beets").AcousticPlugin

    config["acousticbrainz"]["base_url"] = f"{ab_url}/api/v1/"
    plugin = AcousticPlugin()
    data = plugin._get_data(A)
    assert "highlevel" in data and "lowlevel" in data  # both levels, merged as beets does


def test_misses_go_to_a_configured_self_hosted_server(
    discogs: RunningEmulator, ab_url: str
) -> None:
    """A gateway with an empty archive, pointed at another one as its AcousticBrainz server."""
    upstream = {"acousticbrainz": {"base_url": ab_url, "rate_limit": 1000}}
    with gateway(discogs.url, upstreams=upstream) as url:
        answer = httpx.get(f"{url}/api/v1/{A}/low-level")
        assert answer.status_code == 200, answer.text
        assert "lowlevel" in answer.json()
        bulk = httpx.get(f"{url}/api/v1/high-level", params={"recording_ids": f"{A};{UNKNOWN}"})
        assert set(bulk.json()) >= {A} and UNKNOWN not in bulk.json()
        assert httpx.get(f"{url}/api/v1/{UNKNOWN}/count").json()["count"] == 0
