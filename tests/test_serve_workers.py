"""``sleeve serve --workers 2`` on the embedded backend (no Redis): the two workers keep
Discogs' limit between them, share one cache and count each client once, through the
SQLite files beside the cache (issue 12, item 6).

One real ``sleeve serve`` process (the supervisor) and its two spawned workers, in front
of the Discogs emulator. Connections go to whichever worker accepts them; each worker
logs its process id, so the tests read from the log which worker answered what.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from sleeve.governance.clients import key_digest
from tests.cache.redis_server import free_port
from tests.client_windows import start_early_in_window
from tests.servers import CLOSED, _wait_until_healthy
from tests.test_governance import busiest_window

pytestmark = pytest.mark.slow

LIMIT, WINDOW = 5, 3.0  # Discogs allows 5 calls in any 3 s
KEY, KEY_LIMIT = "k-workers", 4
CLIENT_WINDOW = 3600  # an hour: a run of a few seconds rarely has to wait for a fresh one
ACCESS = re.compile(r'\[(\d+)\] sleeve\.access: "GET (\S+)" (\d{3})')


@dataclass
class Workers:
    url: str
    emulator: DiscogsEmulator
    log: pathlib.Path
    process: subprocess.Popen[bytes]

    def served(self, path: str) -> list[tuple[int, int]]:
        """(worker pid, status) of every request for ``path`` so far, from the log."""
        return [
            (int(pid), int(status))
            for pid, logged, status in ACCESS.findall(self.log.read_text())
            if logged == path
        ]


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    directory = tmp_path_factory.mktemp("workers")
    emulator = DiscogsEmulator(rate_limit=LIMIT, window_seconds=WINDOW)
    with EmulatorThread(emulator) as discogs_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            {
                "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": discogs_url,
                "SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "emulator-token",
                "SLEEVE_UPSTREAMS__DISCOGS__RATE_LIMIT": str(LIMIT),
                "SLEEVE_UPSTREAMS__DISCOGS__WINDOW": str(WINDOW),
                "SLEEVE_UPSTREAMS__DISCOGS__MAX_WAIT": "60",
                "SLEEVE_UPSTREAMS__MUSICBRAINZ__BASE_URL": f"{CLOSED}/ws/2",
                "SLEEVE_UPSTREAMS__COVERARTARCHIVE__BASE_URL": CLOSED,
                "SLEEVE_CACHE__PATH": str(directory / "cache.db"),  # backend: sqlite, the default
                "SLEEVE_CACHE__LOCAL_MAX_AGE": "600",  # a worker's repeats from its memory
                "SLEEVE_IMAGES__PATH": str(directory / "images"),
                "SLEEVE_ACOUSTICBRAINZ__PATH": str(directory / "acousticbrainz.db"),
                "SLEEVE_CLIENTS__ANONYMOUS_LIMIT": "1000000",
                "SLEEVE_CLIENTS__WINDOW": str(CLIENT_WINDOW),
                "SLEEVE_CLIENTS__KEYS": json.dumps(
                    [{"name": "t", "sha256": key_digest(KEY), "limit": KEY_LIMIT}]
                ),
                "SLEEVE_SERVER__VALIDATE_RESPONSES": "true",
                "SLEEVE_SERVER__LOG_LEVEL": "info",  # the access log, with worker pids
            }
        )
        port, log = free_port(), directory / "serve.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "sleeve", "serve", "--workers", "2", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log)
            yield Workers(url, emulator, log, process)
        finally:
            process.terminate()
            process.wait(30)


def fresh_get(url: str, **headers: str) -> httpx.Response:
    """A GET on a connection of its own, so that either worker may take it."""
    return httpx.get(url, headers=headers, timeout=30)


def until_both_workers(workers: Workers, path: str, **headers: str) -> list[httpx.Response]:
    """GET ``path`` on fresh connections until two workers have answered it (or 200 tries)."""
    answers = []
    for _ in range(200):
        answers.append(fresh_get(f"{workers.url}{path}", **headers))
        if len({pid for pid, _ in workers.served(path)}) >= 2:
            break
    return answers


async def connections_on_each_worker(
    workers: Workers, each: int
) -> dict[int, list[httpx.AsyncClient]]:
    """At least ``each`` open connections on each worker, by worker pid: which worker
    accepts a connection is the kernel's choice (one may take a whole burst), so
    connections are opened until both have enough, and each is asked who it is (its
    request id, found in the access log with the worker's pid)."""
    by_worker: dict[int, list[httpx.AsyncClient]] = {}
    spare: list[httpx.AsyncClient] = []
    for n in range(40 * each):
        client = httpx.AsyncClient(
            base_url=workers.url, timeout=120, limits=httpx.Limits(max_connections=1)
        )
        request_id = f"probe-{n}"
        await client.get("/_sleeve/health", headers={"X-Request-Id": request_id})
        pid = _worker_of(workers, request_id)
        if len(by_worker.setdefault(pid, [])) < each:
            by_worker[pid].append(client)
        else:
            spare.append(client)
        if len(by_worker) == 2 and all(len(c) >= each for c in by_worker.values()):
            break
    for client in spare:
        await client.aclose()
    return by_worker


def _worker_of(workers: Workers, request_id: str) -> int:
    for _ in range(100):  # the line may take a moment to reach the file
        for line in workers.log.read_text().splitlines():
            if f" id={request_id} " in line and (found := re.search(r"\[(\d+)\]", line)):
                return int(found.group(1))
        time.sleep(0.02)
    raise AssertionError(f"no access log line for {request_id}")


def test_the_two_workers_keep_one_upstream_limit(workers: Workers) -> None:
    """Three windows' worth of distinct misses at once, half through each worker: Discogs
    never sees more than 5 in any 3 s, and never refuses one (a refusal would show as a
    repeated path: the retry)."""
    emulator = workers.emulator
    paths = [f"/releases/{release}" for release in sorted(emulator.catalogue.releases)[:15]]

    async def everything() -> list[httpx.Response]:
        pinned = await connections_on_each_worker(workers, each=(len(paths) + 1) // 2)
        assert len(pinned) == 2, "the supervisor runs two workers"
        first, second = pinned.values()
        lanes = [client for pair in zip(first, second, strict=True) for client in pair]
        try:
            return await asyncio.gather(*(lanes[i].get(path) for i, path in enumerate(paths)))
        finally:
            for client in [*first, *second]:
                await client.aclose()

    answers = asyncio.run(everything())
    assert [answer.status_code for answer in answers] == [200] * len(paths)
    served_by = [pid for path in paths for pid, _ in workers.served(path)]
    assert len(set(served_by)) == 2, f"one worker took every request: {served_by}"
    arrivals = emulator.arrival_times()
    busiest = busiest_window(arrivals, WINDOW)
    shares = sorted(served_by.count(pid) for pid in set(served_by))
    print(f"\n{len(arrivals)} Discogs calls through 2 workers (requests {shares}); busiest "
          f"{WINDOW:g} s window: {busiest}/{LIMIT}")  # fmt: skip
    assert busiest <= LIMIT
    assert not [path for path, calls in emulator.calls_by_path.items() if calls > 1]


def test_an_answer_cached_by_one_worker_is_a_hit_in_the_other(workers: Workers) -> None:
    path = "/artists/1"
    answers = until_both_workers(workers, path)
    assert {answer.status_code for answer in answers} == {200}
    assert len({pid for pid, _ in workers.served(path)}) == 2, "one worker took everything"
    assert workers.emulator.calls_by_path[path] == 1
    assert all("hit" in answer.headers["Cache-Status"] for answer in answers[1:])


def test_a_client_is_counted_across_workers_within_a_sync(workers: Workers) -> None:
    """A key allowed 4 requests a minute gets them whichever workers its connections
    reach, and never more than a sync's lag beyond: the workers count each request in
    memory (nothing but arithmetic) and add their counts up in a shared file every half
    second, so a worker may not yet know the other's latest request. Once refused, the
    key stays refused everywhere until its window rolls on: windows are aligned on the
    wall clock, so the run starts early enough in one to end inside it."""
    path = "/artists/2"
    start_early_in_window(needed=3 * KEY_LIMIT * 1.1 + 10, window=CLIENT_WINDOW)
    answers = []
    for _ in range(3 * KEY_LIMIT):  # one at a time, two syncs apart (room for a slow one)
        answers.append(fresh_get(f"{workers.url}{path}", **{"X-Sleeve-Key": KEY}))
        time.sleep(1.1)
    statuses = [answer.status_code for answer in answers]
    admitted = statuses.count(200)
    assert KEY_LIMIT <= admitted <= KEY_LIMIT + 2, statuses
    assert set(statuses[admitted:]) == {429}, statuses
    assert answers[-1].headers["X-Discogs-Ratelimit-Remaining"] == "0"


def test_the_workers_get_a_metrics_directory_removed_on_exit(workers: Workers) -> None:
    """prometheus-client's multiprocess mode needs a directory every worker writes to."""
    pids = {pid for pid, _ in workers.served("/artists/1")}
    directories = set()
    for pid in pids:
        environ = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        found = [v for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
        assert found, f"worker {pid} has no PROMETHEUS_MULTIPROC_DIR"
        directories.add(found[0].split(b"=", 1)[1].decode())
    assert len(directories) == 1
    directory = pathlib.Path(directories.pop())
    assert directory.is_dir()
    workers.process.terminate()
    assert workers.process.wait(30) == 0
    assert not directory.exists()


def test_workers_that_cannot_start_stop_the_supervisor_with_a_failure(
    tmp_path: pathlib.Path,
) -> None:
    """A setting no worker can start with (the cache under a file): the supervisor stops
    with status 3 instead of spawning failing workers forever, so systemd's
    Restart=on-failure (and its start limit) sees it."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    env["SLEEVE_CACHE__PATH"] = str(blocker / "cache.db")
    env["SLEEVE_IMAGES__PATH"] = str(tmp_path / "images")
    env["SLEEVE_ACOUSTICBRAINZ__PATH"] = str(tmp_path / "acousticbrainz.db")
    finished = subprocess.run(
        [sys.executable, "-m", "sleeve", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 3, finished.stderr[-2000:]
    assert "the worker could not start" in finished.stderr
