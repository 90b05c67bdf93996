"""The API docs page in a real browser: Chromium, headless, driven by Playwright.

Playwright rather than Selenium: it sees every request the page makes and every console
message (what "nothing left 127.0.0.1" and "no errors" are checked on), and waits for what
it is asked to find. It drives the system's Chromium (Debian's ``chromium`` package); it
downloads no browser of its own. Install it with
``command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)``.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Page, expect, sync_playwright

from sleeve.emulators.discogs import EmulatorThread
from tests.conftest import RunningEmulator
from tests.path_prefix_proxy import PathPrefixProxy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Chromium: command -v chromium >/dev/null || "
        "(apt-get update && apt-get install -y chromium)",
    ),
]

SCREENSHOTS = pathlib.Path(tempfile.gettempdir()) / "sleeve-docs-page"


class Browsing:
    """One page in headless Chromium, with what it asked for and what it complained of."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def browsing() -> Iterator[Browsing]:
    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            seen = Browsing(page)
            page.on("request", lambda request: seen.requests.append(request.url))
            page.on(
                "console",
                lambda message: (
                    seen.errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: seen.errors.append(str(error)))
            page.on("requestfailed", lambda request: seen.errors.append(f"failed: {request.url}"))
            yield seen
        finally:
            browser.close()


def test_the_page_renders_the_contract_and_tries_a_release(
    gateway_url: str, discogs: RunningEmulator, browsing: Browsing
) -> None:
    page = browsing.page
    page.goto(f"{gateway_url}/docs#/Database/getRelease")

    release = page.locator("#operations-Database-getRelease")
    expect(release).to_be_visible(timeout=30_000)
    expect(page.locator("#operations-MusicBrainz-lookupRelease")).to_have_count(1)
    expect(page.locator(".opblock")).to_have_count(_rendered_operations(gateway_url))

    _try_release_1(page)
    assert discogs.emulator.calls_by_path["/releases/1"] == 1  # the gateway asked upstream
    assert f"{gateway_url}/releases/1" in browsing.requests  # "Try it out" went to sleeve

    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "docs-page.png"
    page.screenshot(path=str(shot))
    _assert_a_real_picture(shot)

    assert browsing.errors == []  # console errors (CSP violations too), failed requests
    assert _elsewhere(browsing.requests, gateway_url) == []


def test_behind_a_path_prefix_the_page_and_try_it_out_stay_under_it(
    gateway_url: str, discogs: RunningEmulator, browsing: Browsing
) -> None:
    proxy = PathPrefixProxy(gateway_url, "/sleeve")
    with EmulatorThread(proxy) as proxy_url:
        page = browsing.page
        page.goto(f"{proxy_url}/sleeve/docs/#/Database/getRelease")  # the slash redirects
        expect(page.locator("#operations-Database-getRelease")).to_be_visible(timeout=30_000)
        assert page.url.startswith(f"{proxy_url}/sleeve/docs#")
        _try_release_1(page)

    assert discogs.emulator.calls_by_path["/releases/1"] == 1
    assert f"{proxy_url}/sleeve/releases/1" in browsing.requests
    assert "/releases/1" in proxy.forwarded
    assert {"/docs", "/openapi.json", "/docs/swagger-ui-bundle.js"} <= set(proxy.forwarded)
    assert browsing.errors == []
    assert _elsewhere(browsing.requests, proxy_url) == []


def _try_release_1(page: Page) -> None:
    """Try it out, ``release_id`` 1, Execute, on ``getRelease``: its answer shown."""
    release = page.locator("#operations-Database-getRelease")
    release.locator("button.try-out__btn").click()
    release.locator('tr[data-param-name="release_id"] input').fill("1")
    release.locator("button.execute").click()
    answer = release.locator(".live-responses-table .response")
    expect(answer.locator(".response-col_status")).to_have_text("200", timeout=20_000)
    expect(answer.locator(".response-col_description")).to_contain_text('"id": 1')
    answer.scroll_into_view_if_needed()


def _elsewhere(requests: list[str], base_url: str) -> list[str]:
    """The requests that went anywhere but ``base_url``'s host and port."""
    here = urlsplit(base_url).netloc
    return [url for url in requests if urlsplit(url).netloc != here]


METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _rendered_operations(gateway_url: str) -> int:
    """How many operation blocks Swagger UI shows: one per operation and tag."""
    document = httpx.get(f"{gateway_url}/openapi.json", timeout=10).json()
    return sum(
        len(operation.get("tags") or ["default"])
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    )


def _assert_a_real_picture(path: pathlib.Path) -> None:
    """A PNG of the viewport's size that is not one flat colour."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.size == (1280, 900)
        extrema = ImageStat.Stat(image.convert("L")).extrema[0]
        assert extrema[1] - extrema[0] > 100, extrema  # dark text on a light page
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50
