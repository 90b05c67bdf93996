"""The Discogs database through sleeve, over real HTTP, against the emulator.

The gateway validates its own answers in these tests, so every 200 here also proves the
answer matches the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import RunningEmulator

ENDPOINTS = [
    "/",
    "/artists/1",
    "/artists/3",
    "/artists/1/releases",
    "/releases/1",
    "/releases/5",
    "/releases/1/rating",
    "/releases/1/rating/example_collector",
    "/releases/1/stats",
    "/masters/1",
    "/masters/1/versions",
    "/labels/1",
    "/labels/2",
    "/labels/1/releases",
    "/database/search?q=example",
]


def get(base: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(base + path, timeout=10, **kwargs)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_per_the_contract(gateway_url: str, path: str) -> None:
    response = get(gateway_url, path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_upstream_url_survives_in_answers(
    gateway_url: str, discogs: RunningEmulator, path: str
) -> None:
    response = get(gateway_url, path)
    leaked = [s for s in strings_in(response.json()) if discogs.url in s]
    assert not leaked
    assert discogs.url not in response.headers.get("link", "")


def test_links_are_rewritten_to_sleeve_keeping_path_and_query(gateway_url: str) -> None:
    artist = get(gateway_url, "/artists/1").json()
    assert artist["resource_url"] == f"{gateway_url}/artists/1"
    assert artist["releases_url"] == f"{gateway_url}/artists/1/releases"
    page = get(gateway_url, "/artists/1/releases?per_page=5&page=2&sort=year")
    urls = page.json()["pagination"]["urls"]
    assert urls["next"].startswith(f"{gateway_url}/artists/1/releases?")
    assert "page=3" in urls["next"]
    assert "sort=year" in urls["next"]
    assert f'<{urls["next"]}>; rel="next"' in page.headers["link"]


def test_a_client_can_walk_pages_by_following_links(gateway_url: str) -> None:
    seen, url = [], f"{gateway_url}/labels/1/releases?per_page=40"
    while url:
        body = httpx.get(url, timeout=10).json()
        seen.extend(entry["id"] for entry in body["releases"])
        url = body["pagination"]["urls"].get("next")
    assert len(seen) == body["pagination"]["items"]
    assert len(set(seen)) == len(seen)


def test_image_urls_point_at_sleeves_image_operation(gateway_url: str) -> None:
    release = get(gateway_url, "/releases/1").json()
    assert release["images"]
    for index, image in enumerate(release["images"]):
        assert image["uri"] == f"{gateway_url}/images/releases/1/{index}"
        assert image["uri150"] == f"{gateway_url}/images/releases/1/{index}?size=150"
    assert release["thumb"] == f"{gateway_url}/images/releases/1/0?size=150"
    results = get(gateway_url, "/database/search?q=example&type=release").json()["results"]
    covers = [r["cover_image"] for r in results if r.get("cover_image")]
    assert covers
    assert all(cover.startswith(f"{gateway_url}/images/releases/") for cover in covers)


def test_master_links_point_at_sleeve(gateway_url: str) -> None:
    master = get(gateway_url, "/masters/1").json()
    assert master["versions_url"] == f"{gateway_url}/masters/1/versions"
    assert master["main_release_url"] == f"{gateway_url}/releases/1"
    release = get(gateway_url, "/releases/1").json()
    assert release["master_url"] == f"{gateway_url}/masters/1"


def test_public_url_setting_replaces_the_request_host(discogs: RunningEmulator) -> None:
    from tests.servers import gateway

    with gateway(discogs.url, server={"public_url": "https://sleeve.example/discogs"}) as url:
        artist = get(url, "/artists/1").json()
    assert artist["resource_url"] == "https://sleeve.example/discogs/artists/1"


def test_sleeve_identifies_itself_and_uses_its_own_token(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    get(gateway_url, "/artists/1", headers={"User-Agent": "SomeClient/1.0"})
    (request,) = discogs.emulator.requests
    assert request.headers["User-Agent"].startswith("sleeve/")
    assert request.headers["Authorization"] == "Discogs token=emulator-token"


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": "Discogs key=emulator-key, secret=emulator-secret"}, ""),
        ({}, "?key=emulator-key&secret=emulator-secret"),
        ({}, "?token=emulator-token"),
    ],
)
def test_a_clients_own_credentials_are_used_in_every_discogs_form(
    gateway_url: str, discogs: RunningEmulator, headers: dict[str, str], query: str
) -> None:
    response = get(gateway_url, "/database/search" + query, headers=headers)
    assert response.status_code == 200
    (request,) = discogs.emulator.requests
    assert request.headers["Authorization"].startswith("Discogs ")
    assert "token=" not in request.path_qs and "secret=" not in request.path_qs


def test_rejected_client_credentials_are_a_401(gateway_url: str) -> None:
    response = get(gateway_url, "/artists/1", headers={"Authorization": "Discogs token=wrong"})
    assert response.status_code == 401
    assert "token" in response.json()["message"].lower()


def test_only_declared_parameters_go_upstream_with_defaults_spelled_out(
    gateway_url: str, discogs: RunningEmulator
) -> None:
    assert get(gateway_url, "/artists/1/releases?undeclared=1").status_code == 200
    (request,) = discogs.emulator.requests
    assert request.path_qs == "/artists/1/releases?page=1&per_page=50"


def test_search_filters_pass_through(gateway_url: str, discogs: RunningEmulator) -> None:
    body = get(gateway_url, "/database/search?q=example&type=artist&per_page=3").json()
    assert body["pagination"]["per_page"] == 3
    assert {result["type"] for result in body["results"]} == {"artist"}
    (request,) = discogs.emulator.requests
    assert "type=artist" in request.path_qs and "q=example" in request.path_qs


@pytest.mark.parametrize("variant", ["html", "plaintext", "discogs"])
def test_the_accept_variant_reaches_discogs(
    gateway_url: str, discogs: RunningEmulator, variant: str
) -> None:
    media_type = f"application/vnd.discogs.v2.{variant}+json"
    response = get(gateway_url, "/artists/1", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["x-discogs-media-type"] == f"discogs.v2.{variant}+json"
    (request,) = discogs.emulator.requests
    assert request.headers["Accept"] == media_type


def test_html_and_plaintext_differ(gateway_url: str) -> None:
    def profile(variant: str) -> str:
        accept = {"Accept": f"application/vnd.discogs.v2.{variant}+json"}
        return get(gateway_url, "/artists/1", headers=accept).json()["profile"]

    assert profile("html") != profile("plaintext")
    assert "<a" in profile("html")


def test_curr_abbr_is_forwarded(gateway_url: str, discogs: RunningEmulator) -> None:
    assert get(gateway_url, "/releases/1?curr_abbr=EUR").status_code == 200
    (request,) = discogs.emulator.requests
    assert request.path_qs == "/releases/1?curr_abbr=EUR"


def test_the_document_is_served_bundled(gateway_url: str) -> None:
    from sleeve.app import SPEC_PATH
    from sleeve.openapi31 import bundle

    served = get(gateway_url, "/openapi.json")
    assert served.status_code == 200
    assert served.json() == bundle(SPEC_PATH)
