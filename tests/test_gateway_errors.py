"""Bad input gets a 4xx that names the problem; upstream trouble gets an honest 5xx.

Nothing here may produce a 500, a stack trace, a hang, or a secret in an answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sleeve.app import SPEC_PATH
from sleeve.openapi31 import bundle
from tests.conftest import RunningEmulator
from tests.servers import gateway


def get(base: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(base + path, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/artists/abc", "artist_id"),
        ("/artists/0", "artist_id"),
        ("/releases/-5", "release_id"),
        ("/artists/1/releases?per_page=101", "per_page"),
        ("/artists/1/releases?per_page=0", "per_page"),
        ("/artists/1/releases?page=0", "page"),
        ("/artists/1/releases?page=two", "page"),
        ("/artists/1/releases?sort=colour", "sort"),
        ("/masters/1/versions?sort_order=sideways", "sort_order"),
        ("/releases/1?curr_abbr=XYZ", "curr_abbr"),
        ("/database/search?type=song", "type"),
        ("/releases/1/rating/not%20a%20user", "username"),
        ("/database/search?q=" + "x" * 257, "q"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(
    gateway_url: str, discogs: RunningEmulator, path: str, named: str
) -> None:
    response = get(gateway_url, path)
    assert response.status_code == 400
    assert named in response.json()["message"]
    assert discogs.emulator.calls == 0


def test_long_bad_values_are_not_echoed_whole(gateway_url: str) -> None:
    response = get(gateway_url, "/database/search?q=" + "x" * 5000)
    assert response.status_code == 400
    message = response.json()["message"]
    assert "'q'" in message and "too long" in message
    assert len(message) < 200


def test_the_longest_valid_search_reaches_discogs(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    """Every text filter at its limit, in 4-byte characters: still forwardable."""
    document = bundle(SPEC_PATH)
    operation = document["paths"]["/database/search"]["get"]
    query = {}
    for reference in operation["parameters"]:
        parameter = document["components"]["parameters"][reference["$ref"].rsplit("/", 1)[1]]
        limit = parameter["schema"].get("maxLength")
        if limit:
            query[parameter["name"]] = "\N{GRINNING FACE}" * limit
    response = httpx.get(f"{gateway_url}/database/search", params=query, timeout=10)
    assert response.status_code == 200, response.text
    assert discogs.emulator.calls == 1


def test_a_page_past_the_last_is_a_404(gateway_url: str) -> None:
    response = get(gateway_url, "/database/search?q=example&page=999")
    assert response.status_code == 404


def test_master_zero_is_a_404_like_on_discogs(gateway_url: str) -> None:
    assert get(gateway_url, "/masters/0").status_code == 404


def test_unknown_paths_are_404(gateway_url: str) -> None:
    response = get(gateway_url, "/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"message": "The requested resource was not found."}


def test_other_methods_are_405_with_allow(gateway_url: str) -> None:
    response = httpx.put(f"{gateway_url}/artists/1", timeout=10)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert "message" in response.json()


def test_upstream_404_passes_through(gateway_url: str) -> None:
    response = get(gateway_url, "/releases/999999")
    assert response.status_code == 404
    assert response.json() == {"message": "Release not found."}


@pytest.fixture
def own_gateway(discogs: RunningEmulator) -> Iterator[str]:
    """A gateway of this test's own: its breaker and pauses start fresh, its patience short."""
    with gateway(discogs.url, upstreams={"discogs": {"max_wait": 1.0}}) as url:
        yield url


@pytest.mark.parametrize(
    ("mode", "options", "status"),
    [
        ("error", {"status": 500}, 502),
        ("error", {"status": 502}, 502),
        ("garbage", {}, 502),
        ("drop", {}, 502),
        ("error", {"status": 503}, 503),
        ("ratelimited", {"retry_after": 7}, 503),
    ],
)
def test_upstream_failures_are_honest(
    own_gateway: str, discogs: RunningEmulator, mode: str, options: dict, status: int
) -> None:
    discogs.emulator.set_mode(mode, **options)
    response = get(own_gateway, "/artists/1")
    assert response.status_code == status
    assert "Discogs" in response.json()["message"]
    if status == 503:
        assert int(response.headers["retry-after"]) > 0


def test_a_discogs_429_past_the_deadline_becomes_503_with_its_retry_after(
    own_gateway: str, discogs: RunningEmulator
) -> None:
    discogs.emulator.set_mode("ratelimited", retry_after=7)
    response = get(own_gateway, "/artists/1")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert discogs.emulator.calls == 1  # no retry could fit in the deadline


def test_an_unreachable_upstream_is_a_502() -> None:
    with gateway("http://127.0.0.1:9") as url:
        response = get(url, "/artists/1")
    assert response.status_code == 502
    assert response.json() == {"message": "Discogs could not be reached."}


@pytest.fixture
def impatient_gateway(discogs: RunningEmulator) -> Iterator[str]:
    with gateway(discogs.url, upstreams={"discogs": {"timeout": 0.5}}) as url:
        yield url


def test_a_slow_upstream_is_a_504_in_bounded_time(
    impatient_gateway: str, discogs: RunningEmulator
) -> None:
    discogs.emulator.set_mode("delay", seconds=5)
    started = time.monotonic()
    response = get(impatient_gateway, "/artists/1")
    assert response.status_code == 504
    assert time.monotonic() - started < 3
    assert response.json() == {"message": "Discogs did not answer in time."}


def test_sleeves_own_rejected_credentials_are_not_the_clients_fault(
    discogs: RunningEmulator,
) -> None:
    with gateway(discogs.url, upstreams={"discogs": {"token": "revoked"}}) as url:
        response = get(url, "/artists/1")
    assert response.status_code == 502
    assert "revoked" not in response.text


def test_secrets_stay_out_of_answers_and_logs(
    gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    secrets = ["client-secret-token", "emulator-token"]
    get(gateway_url, "/artists/1?token=client-secret-token")
    get(gateway_url, "/artists/1", headers={"Authorization": "Discogs token=client-secret-token"})
    response = get(gateway_url, "/database/search?token=client-secret-token")
    # Everything logged on the server's side; httpx, the test's client, logs its own URLs.
    server_log = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )
    for secret in secrets:
        assert secret not in response.text
        assert secret not in server_log
    assert "GET /artists/1?token=" in server_log  # the access log did run
