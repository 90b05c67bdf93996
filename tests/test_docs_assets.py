"""The docs page and its files over HTTP: what a browser is sent, and what nobody can get.

(The page at work in a browser: ``test_docs_page.py``.)
"""

from __future__ import annotations

import re
import socket
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from sleeve.docs_page import DocsAssets
from tests.client_windows import start_early_in_window
from tests.conftest import RunningEmulator
from tests.servers import gateway


class _References(HTMLParser):
    """Every ``src`` and ``href`` in a page, and any script written in it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_page_loads_only_relative_files_that_sleeve_serves(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    references = _References()
    references.feed(page.text)
    assert references.inline_scripts == 0
    assert references.urls
    for url in references.urls:
        assert not re.match(r"^([a-z]+:|/)", url), url  # relative: any path prefix works
        answer = httpx.get(urljoin(f"{gateway_url}/docs", url))
        assert answer.status_code == 200, url
    assert "docs/sleeve-docs.js" in references.urls  # the initializer, as a file
    assert "openapi.json" in references.urls  # for readers without JavaScript


def test_the_page_forbids_inline_scripts_and_other_origins(gateway_url: str) -> None:
    policy = httpx.get(f"{gateway_url}/docs").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    ("name", "media_type", "cache_control"),
    [
        ("sleeve-docs.js", "text/javascript; charset=utf-8", "no-cache"),
        ("sleeve-docs.css", "text/css; charset=utf-8", "no-cache"),
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8", "public, max-age=86400"),
        ("swagger-ui.css", "text/css; charset=utf-8", "public, max-age=86400"),
        ("favicon-32x32.png", "image/png", "public, max-age=86400"),
        ("favicon-16x16.png", "image/png", "public, max-age=86400"),
    ],
)
def test_each_asset_has_its_type_its_caching_and_a_304(
    gateway_url: str, name: str, media_type: str, cache_control: str
) -> None:
    answer = httpx.get(f"{gateway_url}/docs/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == media_type
    assert answer.headers["cache-control"] == cache_control
    assert answer.content == DocsAssets().asset(name).body  # type: ignore[union-attr]
    again = httpx.get(
        f"{gateway_url}/docs/{name}", headers={"If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_swagger_ui_is_version_5() -> None:
    """OpenAPI 3.1 needs Swagger UI 5."""
    bundle = DocsAssets().asset("swagger-ui-bundle.js")
    assert bundle is not None
    assert b"SwaggerUIBundle" in bundle.body[:2000]
    from sleeve.docs_page import SWAGGER_UI_VERSION

    assert SWAGGER_UI_VERSION.startswith("5.")


def test_the_page_itself_has_an_etag_too(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/docs")
    assert page.headers["cache-control"] == "no-cache"
    again = httpx.get(f"{gateway_url}/docs", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304


def test_a_slash_after_docs_redirects_to_the_page(gateway_url: str) -> None:
    answer = httpx.get(f"{gateway_url}/docs/")
    assert answer.status_code == 301
    assert answer.headers["location"] == "../docs"  # relative: keeps a proxy's prefix
    assert httpx.get(f"{gateway_url}/docs/", follow_redirects=True).url == f"{gateway_url}/docs"


def test_an_unknown_asset_is_a_404_in_the_gateways_shape(gateway_url: str) -> None:
    answer = httpx.get(f"{gateway_url}/docs/nothing-here.js")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert "swagger-ui-bundle.js" in answer.json()["message"]  # names what there is


@pytest.mark.parametrize(
    "raw_path",
    [
        "/docs/..%2Fopenapi.json",
        "/docs/..%2F..%2Fsleeve.yaml",
        "/docs/%2e%2e%2f%2e%2e%2fcontract%2fsleeve.yaml",
        "/docs/..%5C..%5Cpyproject.toml",
        "/docs/%2e%2e",
        "/docs/page%2Findex.html",
        "/docs/swagger_ui%2FLICENSE",
        "/docs/swagger_ui/LICENSE",
        "/docs/LICENSE",
        "/docs/license",
        "/docs/vendored.md",
        "/docs/__init__.py",
        "/docs/%00.js",
        "/docs/sleeve-docs.js%00",
        "/docs/SLEEVE-DOCS.JS",
        "/docs/" + "a" * 70 + ".js",
    ],
)
def test_a_hostile_asset_name_never_reaches_a_file(gateway_url: str, raw_path: str) -> None:
    with httpx.Client() as client:
        request = client.build_request("GET", gateway_url)
        request.url = request.url.copy_with(raw_path=raw_path.encode())
        answer = client.send(request)
    assert answer.status_code in (400, 404), raw_path
    assert answer.headers["content-type"] == "application/json"
    assert "message" in answer.json()


@pytest.mark.parametrize(
    "target", ["/docs/../pyproject.toml", "/docs/../../sleeve/app.py", "/docs/./../openapi.json"]
)
def test_dot_segments_sent_as_they_are_reach_no_file(gateway_url: str, target: str) -> None:
    """httpx removes dot segments before sending; a raw request keeps them."""
    host, port = urlsplit(gateway_url).hostname, urlsplit(gateway_url).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] in (b"400", b"404"), answer[:300]
    assert b"[project]" not in rest and b"create_app" not in rest


def test_the_service_root_links_to_the_docs_and_the_contract(gateway_url: str) -> None:
    for _ in range(2):  # the second is a repeat, answered from memory by the fast path
        answer = httpx.get(f"{gateway_url}/")
        assert answer.status_code == 200
        assert answer.headers["link"] == (
            f'<{gateway_url}/docs>; rel="service-doc", '
            f'<{gateway_url}/openapi.json>; rel="service-desc"'
        )


def test_the_docs_cost_a_reader_nothing_of_their_limit(discogs: RunningEmulator) -> None:
    """A page load is six requests; an address may make only two here."""
    with gateway(discogs.url, clients={"anonymous_limit": 2}) as url:
        start_early_in_window(needed=15)
        for _ in range(5):
            for path in ("/docs", "/docs/sleeve-docs.js", "/docs/swagger-ui.css", "/openapi.json"):
                answer = httpx.get(url + path)
                assert answer.status_code == 200, path
                assert "x-discogs-ratelimit" not in answer.headers
        assert httpx.get(f"{url}/releases/1").status_code == 200
        assert httpx.get(f"{url}/releases/1").status_code == 200
        assert httpx.get(f"{url}/releases/1").status_code == 429  # the limit is still there


def test_the_root_links_to_the_docs_where_clients_reach_sleeve(discogs: RunningEmulator) -> None:
    with gateway(discogs.url, server={"public_url": "https://sleeve.example/discogs"}) as url:
        link = httpx.get(f"{url}/").headers["link"]
    assert link.startswith('<https://sleeve.example/discogs/docs>; rel="service-doc"')
