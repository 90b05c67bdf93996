"""``sleeve images warm``: prefilling the image store through a running gateway.

A real gateway in front of the Discogs emulator (which is its own image host and counts
every image fetch), so each test can tell what the warm run cost upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import pathlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
import pytest

from sleeve.cli import warm as warm_cli
from sleeve.cli.warming import (
    BadLine,
    Budget,
    Verdict,
    WarmPolicy,
    WarmState,
    WarmTally,
    budget_allows,
    classify,
    parse_ids,
    warm,
)
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.governance.clients import key_digest
from tests.servers import gateway

WARM_KEY = "warm-key"
VIEWER_KEY = "viewer-key"
CLIENTS = {
    "keys": [
        {"name": "warmer", "sha256": key_digest(WARM_KEY)},
        {"name": "viewer", "sha256": key_digest(VIEWER_KEY)},
    ]
}
WITH_IMAGES = [1, 2, 3, 4, 6, 1001, 1002, 1003, 1004, 1005, 1006, 1007]
WITHOUT_IMAGE = [5, 2003]  # release 5 has no images, nor has 2003
NOT_ON_DISCOGS = 999999
FAST = 500.0  # requests per second: pacing is not what these tests are about


@pytest.fixture
def discogs_images() -> Iterator[tuple[DiscogsEmulator, str]]:
    emulator = DiscogsEmulator(
        rate_limit=1_000_000, anonymous_rate_limit=1_000_000, image_host="self"
    )
    with EmulatorThread(emulator) as url:
        yield emulator, url


@contextmanager
def sleeve(discogs_url: str, directory: pathlib.Path, **images: Any) -> Iterator[str]:
    """A gateway with its own image store; ``images`` adds image settings (budget…)."""
    clients = images.pop("clients", CLIENTS)
    settings = {"path": str(directory / "images"), "allowed_hosts": ["127.0.0.1"], **images}
    with gateway(discogs_url, images=settings, clients=clients) as url:
        yield url


@pytest.fixture
def emulator(discogs_images: tuple[DiscogsEmulator, str]) -> DiscogsEmulator:
    return discogs_images[0]


@pytest.fixture
def sleeve_url(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> Iterator[str]:
    with sleeve(discogs_images[1], tmp_path) as url:
        yield url


async def run_warm(url: str, ids: list[int], state: pathlib.Path, **options: Any) -> WarmTally:
    """A warm run; ``options`` are the policy's fields and ``warm``'s own keywords."""
    fields = {field.name for field in dataclasses.fields(WarmPolicy)}
    policy = WarmPolicy(**{"rate": FAST} | {k: options.pop(k) for k in fields & set(options)})
    async with aiohttp.ClientSession() as session:
        return await warm(session, url, WARM_KEY, ids, state, policy, **options)


def fetched_once_each(emulator: DiscogsEmulator, count: int) -> bool:
    """``count`` distinct images were fetched upstream, none twice."""
    by_path = emulator.image_calls_by_path
    return len(by_path) == count and set(by_path.values()) <= {1}


def viewer_get(url: str) -> httpx.Response:
    return httpx.get(url, headers={"X-Sleeve-Key": VIEWER_KEY}, timeout=10)


# --- the pieces -------------------------------------------------------------------------


def test_id_lists_allow_comments_and_blank_lines_and_report_bad_lines() -> None:
    listed = parse_ids(
        ["# my list\n", "1\n", "\n", " 2  # trailing\n", "r3\n", "2\n", "-4\n", "0\n"]
    )
    assert listed.ids == [1, 2]
    assert listed.bad == [BadLine(5, "r3"), BadLine(7, "-4"), BadLine(8, "0")]


def test_the_budget_share_keeps_the_clients_part() -> None:
    allowed = [used for used in range(11) if budget_allows(Budget(10, used, 0), 0.5)]
    assert allowed == [0, 1, 2, 3, 4]  # five units at most for the warmer
    assert budget_allows(Budget(10, 9, 0), 1.0)
    assert not budget_allows(Budget(10, 10, 0), 1.0)
    assert not budget_allows(Budget(1000, 100, 0), 0.1)


def test_answers_are_classified() -> None:
    assert classify(200, "") is Verdict.STORED
    assert classify(404, "no image") is Verdict.NO_IMAGE
    assert classify(503, "The daily Discogs image budget is spent; …") is Verdict.BUDGET
    assert classify(503, "Discogs is limiting image fetches") is Verdict.RETRY
    assert classify(429, "too many") is Verdict.RETRY
    assert classify(401, "key") is Verdict.REFUSED
    assert classify(502, "bad gateway") is Verdict.FAILED


def test_the_state_file_survives_a_torn_last_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "state"
    with WarmState(path) as state:
        state.record(1, "stored")
        state.record(2, "none")
    with path.open("a") as file:
        file.write("3 sto")  # a crash mid-write
    assert WarmState(path).done == {1: "stored", 2: "none"}


# --- against the gateway ----------------------------------------------------------------


async def test_every_listed_release_is_fetched_once_and_a_rerun_fetches_nothing(
    sleeve_url: str, emulator: DiscogsEmulator, tmp_path: pathlib.Path
) -> None:
    ids = [*WITH_IMAGES, *WITHOUT_IMAGE, NOT_ON_DISCOGS]
    state = tmp_path / "ids.warm-state"
    first = await run_warm(sleeve_url, ids, state)
    assert (first.stored, first.no_image, first.failed, first.left) == (12, 3, 0, 0)
    assert emulator.image_calls == len(WITH_IMAGES)
    assert fetched_once_each(emulator, len(WITH_IMAGES))

    second = await run_warm(sleeve_url, ids, state)
    assert (second.skipped, second.stored, second.left) == (len(ids), 0, 0)
    assert emulator.image_calls == len(WITH_IMAGES)
    hits = httpx.get(f"{sleeve_url}/_sleeve/images/stats").json()["kinds"]["releases"]
    assert hits == {"miss": len(WITH_IMAGES)}  # the rerun did not even ask the gateway


async def test_a_stopped_run_resumes_where_it_stopped(
    sleeve_url: str, emulator: DiscogsEmulator, tmp_path: pathlib.Path
) -> None:
    state = tmp_path / "state"
    stopped = await run_warm(sleeve_url, WITH_IMAGES, state, stop_after=3)
    assert (stopped.stored, stopped.left) == (3, 9)
    assert emulator.image_calls == 3
    assert sorted(WarmState(state).done) == sorted(WITH_IMAGES[:3])

    rest = await run_warm(sleeve_url, WITH_IMAGES, state)
    assert (rest.skipped, rest.stored, rest.left) == (3, 9, 0)
    assert fetched_once_each(emulator, len(WITH_IMAGES))


async def test_a_cancelled_run_keeps_what_it_did(
    sleeve_url: str, emulator: DiscogsEmulator, tmp_path: pathlib.Path
) -> None:
    """Cancelling the task is what Ctrl-C does to the command's main task."""
    state, tally = tmp_path / "state", WarmTally()

    def cancel_after_four(progress: WarmTally) -> None:
        if progress.processed == 4:
            task.cancel()

    task = asyncio.create_task(
        run_warm(sleeve_url, WITH_IMAGES, state, tally=tally, report=cancel_after_four)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tally.stored == 4
    assert len(WarmState(state).done) == 4  # synced on the way out

    rest = await run_warm(sleeve_url, WITH_IMAGES, state)
    assert (rest.skipped, rest.stored) == (4, 8)
    assert fetched_once_each(emulator, len(WITH_IMAGES))


async def test_warming_spends_only_its_share_and_clients_keep_the_rest(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    emulator, discogs_url = discogs_images
    with sleeve(discogs_url, tmp_path, daily_budget=10) as url:
        tally = await run_warm(url, WITH_IMAGES, tmp_path / "state", share=0.5, wait=False)
        assert emulator.image_calls == 5
        assert (tally.stored, tally.left, tally.budget_spent) == (5, 7, True)
        assert "5 of 10 used" in tally.stopped

        clients = [viewer_get(f"{url}/images/releases/{i}/0") for i in WITH_IMAGES[5:11]]
        assert [answer.status_code for answer in clients] == [200] * 5 + [503]
        assert emulator.image_calls == 10


async def test_what_clients_spent_counts_against_the_share(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    emulator, discogs_url = discogs_images
    with sleeve(discogs_url, tmp_path, daily_budget=10) as url:
        for release in WITH_IMAGES[-3:]:
            assert viewer_get(f"{url}/images/releases/{release}/0").status_code == 200
        tally = await run_warm(url, WITH_IMAGES[:8], tmp_path / "state", wait=False)
    assert tally.stored == 2
    assert emulator.image_calls == 5


async def test_warming_waits_for_the_budget_to_come_back(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    emulator, discogs_url = discogs_images
    waits: list[str] = []

    def note(tally: WarmTally) -> None:
        if tally.waiting:
            waits.append(tally.waiting)

    with sleeve(discogs_url, tmp_path, daily_budget=4, budget_window=1.5) as url:
        started = time.monotonic()
        tally = await run_warm(
            url, WITH_IMAGES[:4], tmp_path / "state", poll_interval=0.1, report=note
        )
    assert (tally.stored, tally.left) == (4, 0)
    assert time.monotonic() - started >= 1.0  # two now, two once the window moved on
    assert waits and "share of the image budget is spent" in waits[0]
    assert fetched_once_each(emulator, 4)


async def test_client_limits_are_honoured(
    discogs_images: tuple[DiscogsEmulator, str], tmp_path: pathlib.Path
) -> None:
    """A key allowed 3 requests per second: the 429s' Retry-After paces the run."""
    emulator, discogs_url = discogs_images
    clients = {
        "window": 1,
        "keys": [{"name": "warmer", "sha256": key_digest(WARM_KEY), "limit": 3}],
    }
    waits: list[str] = []

    def note(tally: WarmTally) -> None:
        waits.extend([tally.waiting] if tally.waiting else [])

    with sleeve(discogs_url, tmp_path, clients=clients) as url:
        tally = await run_warm(url, WITH_IMAGES[:4], tmp_path / "state", report=note)
    assert (tally.stored, tally.failed) == (4, 0)
    assert any("429" in why for why in waits)
    assert fetched_once_each(emulator, 4)


async def test_upstream_rate_limiting_is_waited_out(
    sleeve_url: str, emulator: DiscogsEmulator, tmp_path: pathlib.Path
) -> None:
    """Discogs' image host says 429: the gateway answers 503 + Retry-After (an image is one
    attempt: each spends a unit of the daily budget), and warm waits."""
    for release in WITH_IMAGES[:3]:  # the documents first, so the 429 meets an image fetch
        assert viewer_get(f"{sleeve_url}/releases/{release}").status_code == 200
    emulator.set_mode("ratelimited", times=1, retry_after=1)
    waits: list[str] = []

    def note(tally: WarmTally) -> None:
        waits.extend([tally.waiting] if tally.waiting else [])

    tally = await run_warm(
        sleeve_url, WITH_IMAGES[:3], tmp_path / "state", poll_interval=1, report=note
    )
    assert (tally.stored, tally.failed) == (3, 0)
    assert waits and "503" in waits[0]
    assert emulator.image_calls == 4  # the refused fetch, then each image once
    assert len(emulator.image_calls_by_path) == 3


# --- the command ------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sleeve")
    warm_cli.add_parser(parser.add_subparsers(required=True))
    return parser.parse_args(["images", "warm", *argv])


def test_the_command_reports_bad_lines_and_resumes(
    sleeve_url: str,
    emulator: DiscogsEmulator,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLEEVE_CLIENT_KEY", WARM_KEY)
    ids = tmp_path / "ids.txt"
    ids.write_text("# covers to prefill\n1\n2 # the follow-up\n\nnot-an-id\n5\n3\n")
    args = parse(str(ids), "--url", sleeve_url, "--rate", "500", "--no-progress")
    assert warm_cli.run(args) == warm_cli.DONE
    out, err = capsys.readouterr()
    assert f"{ids}:5: not a release id, skipped: 'not-an-id'" in err
    assert "3 stored, 1 without image, 0 skipped, 0 failed, 0 left of 4" in out
    assert (tmp_path / "ids.txt.warm-state").exists()
    assert emulator.image_calls == 3

    assert warm_cli.run(args) == warm_cli.DONE
    assert "0 stored, 0 without image, 4 skipped" in capsys.readouterr().out
    assert emulator.image_calls == 3


def test_the_command_stops_with_a_message_when_the_share_is_spent(
    discogs_images: tuple[DiscogsEmulator, str],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator, discogs_url = discogs_images
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(map(str, WITH_IMAGES)))
    state = tmp_path / "custom-state"
    with sleeve(discogs_url, tmp_path, daily_budget=4) as url:
        args = parse(str(ids), "--url", url, "--key", WARM_KEY, "--rate", "500")
        args.no_wait, args.share, args.state = True, 0.5, str(state)
        assert warm_cli.run(args) == warm_cli.BUDGET
    out = capsys.readouterr().out
    assert "2 stored" in out and "10 left of 12" in out
    assert "stopped: the warm share of the image budget is spent: 2 of 4 used" in out
    assert "run the same command again" in out
    assert len(WarmState(state).done) == 2
    assert emulator.image_calls == 2


def test_the_command_needs_a_key_the_gateway_accepts(
    sleeve_url: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n")
    assert warm_cli.run(parse(str(ids), "--url", sleeve_url)) == warm_cli.USAGE
    assert "a client key is needed" in capsys.readouterr().err

    wrong = parse(str(ids), "--url", sleeve_url, "--key", "not-a-key", "--no-progress")
    assert warm_cli.run(wrong) == warm_cli.FAILED
    assert "refused the key (401)" in capsys.readouterr().out
    assert warm_cli.run(parse(str(tmp_path / "missing.txt"), "--key", "k")) == warm_cli.USAGE


def test_the_command_line_is_checked() -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("ids.txt", "--share", "1.5")
    assert exit_info.value.code == 2
    args = parse("ids.txt")
    assert (args.share, args.rate, args.state, args.no_wait) == (0.5, 1.0, None, False)
