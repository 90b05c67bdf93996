"""``sleeve demo``, run as a user runs it: a process that prints a tour, every stop of which
answers, the printed client snippets work, and Ctrl-C (or SIGTERM) stops it cleanly,
leaving nothing behind."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.cache.redis_server import free_port

pytestmark = pytest.mark.slow

START_GUARD = 60.0  # seconds; only turns a demo that never starts into a failure


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    base: str
    output: pathlib.Path
    tmp: pathlib.Path

    def printed(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def tour(self) -> list[str]:
        """The URLs of the printed "Try:" list, in order."""
        lines = self.printed().split("Try:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        return [line.split()[-1] for line in lines]

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(30)


@pytest.fixture
def demo(tmp_path: pathlib.Path) -> Iterator[Demo]:
    port = free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    env["TMPDIR"] = str(tmp)  # where the demo keeps its state: checked to be empty after
    output = tmp_path / "demo.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "sleeve", "demo", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Demo(process, f"http://127.0.0.1:{port}", output, tmp)
    try:
        _wait_until_up(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_until_up(demo: Demo) -> None:
    deadline = time.monotonic() + START_GUARD
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            pytest.fail(f"sleeve demo exited with {demo.process.returncode}:\n{demo.printed()}")
        try:
            if httpx.get(f"{demo.base}/_sleeve/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"sleeve demo did not start:\n{demo.printed()}")


def test_every_stop_of_the_tour_answers(demo: Demo) -> None:
    urls = demo.tour()
    assert len(urls) >= 10 and all(url.startswith(demo.base) for url in urls), urls
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        statuses = {url: client.get(url).status_code for url in urls}
    assert statuses == {url: 200 for url in urls}


def test_the_sample_answers_are_proxied_cached_and_point_at_sleeve(demo: Demo) -> None:
    with httpx.Client(base_url=demo.base, timeout=30) as client:
        first, second = (client.get("/releases/1") for _ in range(2))
        image = client.get("/images/releases/1/0", params={"size": 150})
    assert first.status_code == second.status_code == 200
    assert first.json()["resource_url"].startswith(demo.base)
    assert "hit" in second.headers["Cache-Status"]
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"


def test_itunes_lookups_answer_through_the_demo_with_artwork_on_sleeve(demo: Demo) -> None:
    lookup = next(url for url in demo.tour() if "/lookup?upc=" in url)
    with httpx.Client(timeout=30) as client:
        answer = client.get(lookup)
        album = answer.json()["results"][0]
        artwork = client.get(album["artworkUrl100"].replace("100x100bb", "300x300bb"))
    assert answer.status_code == 200
    assert album["wrapperType"] == "collection"
    assert album["collectionName"] == "Fictional Frequencies"
    assert album["artworkUrl100"].startswith(f"{demo.base}/itunes/artwork/")
    assert artwork.status_code == 200 and artwork.headers["Content-Type"] == "image/jpeg"


def test_the_printed_client_snippets_work(demo: Demo) -> None:
    discogs_client = pytest.importorskip("discogs_client")
    musicbrainzngs = pytest.importorskip("musicbrainzngs")
    printed = demo.printed()
    assert f"c._base_url = '{demo.base}'" in printed
    client = discogs_client.Client("SleeveDemoTest/1.0")
    client._base_url = demo.base
    assert client.release(1).title
    musicbrainzngs.set_useragent("SleeveDemoTest", "1.0")
    host = demo.base.removeprefix("http://")
    assert f"set_hostname('{host}', use_https=False)" in printed
    musicbrainzngs.set_hostname(host, use_https=False)
    mbid = next(url for url in demo.tour() if "/ws/2/release/" in url).split("/")[-1]
    release = musicbrainzngs.get_release_by_id(mbid.split("?")[0], includes=["artists"])
    assert release["release"]["id"] == mbid.split("?")[0]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_it_stops_cleanly_and_leaves_nothing_behind(demo: Demo, signum: int) -> None:
    assert httpx.get(f"{demo.base}/releases/1", timeout=30).status_code == 200  # state kept
    assert any(demo.tmp.iterdir())
    assert demo.stop(signum) == 0
    printed = demo.printed()
    assert printed.rstrip().endswith("sleeve demo: stopped."), printed
    assert "Traceback" not in printed
    assert list(demo.tmp.iterdir()) == []


def test_a_taken_port_is_one_line_and_exit_status_2(tmp_path: pathlib.Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
        done = subprocess.run(
            [sys.executable, "-m", "sleeve", "demo", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip() == f"sleeve demo: 127.0.0.1:{port} is taken; try --port {port + 1}"
