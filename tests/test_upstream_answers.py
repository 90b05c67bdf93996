"""What upstreams send is checked before anyone keeps it (issue 11, "upstream answers").

A real gateway in front of the Discogs emulator, which counts every call. A 200 that is
not what Discogs sends is a 502 that is never stored: the next request asks again, and a
good answer kept earlier stands in for it (stale-if-error), even for a background refresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.servers import gateway

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_AN_OBJECT = [
    pytest.param(b"not json", id="not-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"null", id="null"),
    pytest.param(b'"a string"', id="a-string"),
    pytest.param(b"[1, 2]", id="a-list"),
    pytest.param(b'{"a": ' * 200 + b"1" + b"}" * 200, id="nested-too-deep"),
    pytest.param(DEEP, id="nested-past-recursion"),
]


def get(base: str, path: str) -> httpx.Response:
    return httpx.get(base + path, timeout=20)


@pytest.fixture
def short_lived(discogs: RunningEmulator) -> Iterator[str]:
    """Answers fresh for 0.3 s, then served only if the upstream fails."""
    cache = {"ttls": {"discogs": {"artist": 0.3}}, "stale_while_revalidate": 0}
    with gateway(discogs.url, cache=cache, upstreams={"discogs": {"attempts": 1}}) as url:
        yield url


@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_discogs_200_that_is_not_an_object_is_a_502_never_stored(
    short_lived: str, discogs: RunningEmulator, body: bytes
) -> None:
    discogs.emulator.set_mode("garbage", body=body)
    refused = get(short_lived, "/artists/1")
    assert refused.status_code == 502
    assert "Discogs" in refused.json()["message"]
    discogs.emulator.set_mode("ok")
    recovered = get(short_lived, "/artists/1")
    assert recovered.status_code == 200
    assert recovered.headers["cache-status"].startswith("sleeve; fwd=miss")
    assert discogs.emulator.calls == 2


def test_garbage_after_a_good_answer_serves_the_good_one(
    short_lived: str, discogs: RunningEmulator
) -> None:
    good = get(short_lived, "/artists/2")
    time.sleep(0.4)  # past freshness: the next request asks Discogs
    discogs.emulator.set_mode("garbage", body=b"<html>maintenance</html>")
    stale = get(short_lived, "/artists/2")
    assert stale.status_code == 200 and stale.json() == good.json()
    assert 'detail="stale-if-error"' in stale.headers["cache-status"]


def test_a_background_refresh_never_replaces_a_good_answer_with_garbage(
    discogs: RunningEmulator,
) -> None:
    cache = {"ttls": {"discogs": {"label": 0.3}}, "stale_while_revalidate": 60}
    with gateway(discogs.url, cache=cache, upstreams={"discogs": {"attempts": 1}}) as url:
        good = get(url, "/labels/1")
        time.sleep(0.4)
        discogs.emulator.set_mode("garbage", body=b"null")
        for _ in range(3):  # each serves the stale answer and tries a refresh behind it
            again = get(url, "/labels/1")
            assert again.status_code == 200 and again.json() == good.json()
            time.sleep(0.1)
        discogs.emulator.set_mode("ok")
        deadline = time.monotonic() + 10
        while 'detail="stale' in get(url, "/labels/1").headers["cache-status"]:
            assert time.monotonic() < deadline, "the refresh never landed"
            time.sleep(0.05)
