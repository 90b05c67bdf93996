"""Adapters against the emulator over real HTTP, without the rest of the gateway."""

from __future__ import annotations

import pytest
from sleeve.adapters.discogs import DiscogsAdapter, DiscogsCredentials, representation
from sleeve.adapters.http import HttpClient, RequestTooLong, client_timeout

from tests.conftest import RunningEmulator


async def test_a_request_line_over_the_limit_is_never_sent(discogs: RunningEmulator) -> None:
    http = HttpClient()
    await http.open()
    try:
        with pytest.raises(RequestTooLong, match="at most 100"):
            await http.get(
                "Discogs",
                f"{discogs.url}/database/search",
                params=[("q", "x" * 200)],
                headers={"User-Agent": "test"},
                timeout=client_timeout(1, 1),
                max_target=100,
            )
    finally:
        await http.close()
    assert discogs.emulator.calls == 0


async def test_the_discogs_adapter_sends_identity_credentials_and_representation(
    discogs: RunningEmulator,
) -> None:
    http = HttpClient()
    await http.open()
    adapter = DiscogsAdapter(
        http,
        base_url=discogs.url + "/",
        user_agent="sleeve-test/1",
        credentials=DiscogsCredentials(key="emulator-key", secret="emulator-secret"),
        connect_timeout=1,
        timeout=2,
    )
    try:
        answer = await adapter.get(
            "/artists/1", [], media_type="application/vnd.discogs.v2.plaintext+json"
        )
    finally:
        await http.close()
    assert answer.status == 200
    (request,) = discogs.emulator.requests
    assert request.headers["User-Agent"] == "sleeve-test/1"
    assert request.headers["Authorization"] == "Discogs key=emulator-key, secret=emulator-secret"
    assert request.headers["Accept"] == "application/vnd.discogs.v2.plaintext+json"


@pytest.mark.parametrize(
    ("authorization", "query", "expected"),
    [
        ("Discogs token=abc", {}, DiscogsCredentials(token="abc")),
        ("discogs key=k,secret=s", {}, DiscogsCredentials(key="k", secret="s")),
        (None, {"token": "abc"}, DiscogsCredentials(token="abc")),
        (None, {"key": "k", "secret": "s"}, DiscogsCredentials(key="k", secret="s")),
        (None, {"key": "k"}, None),
        ("Bearer abc", {}, None),
        (None, {}, None),
    ],
)
def test_client_credentials_in_every_discogs_form(
    authorization: str | None, query: dict[str, str], expected: DiscogsCredentials | None
) -> None:
    assert DiscogsCredentials.from_client(authorization, query) == expected


def test_credentials_never_show_in_repr() -> None:
    assert "abc" not in repr(DiscogsCredentials(token="abc"))
    assert "s3cret" not in repr(DiscogsCredentials(key="k", secret="s3cret"))


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("application/json", None),
        ("application/vnd.discogs.v2.html+json", "application/vnd.discogs.v2.html+json"),
        ("text/html, application/vnd.discogs.v2.plaintext+json;q=0.9",
         "application/vnd.discogs.v2.plaintext+json"),
    ],
)  # fmt: skip
def test_representation_picks_a_discogs_variant(accept: str | None, expected: str | None) -> None:
    assert representation(accept) == expected
