"""The API docs page, ``/docs``: Swagger UI on the contract, every file served by sleeve.

Swagger UI is vendored (``swagger_ui/``, the official build; ``VENDORED.md`` says which and
why), beside sleeve's own page and initializer (``page/``). All of it is package data, read
once when the app is built (about 2 MB) with each file's strong ``ETag``. A request names an
asset from the fixed table below: a client's ``{asset}`` is only ever a dictionary key,
never a path on disk, so nothing outside these files can be reached through it.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

from sleeve.cache.http_caching import strong_etag

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SWAGGER_UI_VERSION",
    "DocsAsset",
    "DocsAssets",
    "service_links",
]

SWAGGER_UI_VERSION = "5.35.0"

# The page loads only its own files and talks only to this sleeve. Swagger UI sets inline
# style attributes and shows images (its icons, image answers) from data: and blob: URLs;
# scripts are the two files below, never inline.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

# sleeve's own files change with sleeve: browsers check them on every load (a 304 when
# unchanged). Swagger UI's change only with its pinned version: a day without asking.
_REVALIDATE = "no-cache"
_VENDORED = "public, max-age=86400"

_JS, _CSS, _PNG = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "image/png"

#: The assets under ``/docs/``: name → (file in this package, media type, Cache-Control).
_ASSETS: dict[str, tuple[str, str, str]] = {
    "sleeve-docs.js": ("page/sleeve-docs.js", _JS, _REVALIDATE),
    "sleeve-docs.css": ("page/sleeve-docs.css", _CSS, _REVALIDATE),
    "swagger-ui-bundle.js": ("swagger_ui/swagger-ui-bundle.js", _JS, _VENDORED),
    "swagger-ui.css": ("swagger_ui/swagger-ui.css", _CSS, _VENDORED),
    "favicon-32x32.png": ("swagger_ui/favicon-32x32.png", _PNG, _VENDORED),
    "favicon-16x16.png": ("swagger_ui/favicon-16x16.png", _PNG, _VENDORED),
}
_PAGE = ("page/index.html", "text/html; charset=utf-8", _REVALIDATE)


@dataclass(frozen=True)
class DocsAsset:
    body: bytes
    media_type: str
    cache_control: str
    etag: str


class DocsAssets:
    """The page and its assets, in memory."""

    def __init__(self) -> None:
        self.page = _load(*_PAGE)
        self._assets = {name: _load(*entry) for name, entry in _ASSETS.items()}

    def asset(self, name: str) -> DocsAsset | None:
        return self._assets.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._assets)


def _load(file: str, media_type: str, cache_control: str) -> DocsAsset:
    body = (importlib.resources.files(__name__) / file).read_bytes()
    return DocsAsset(body, media_type, cache_control, strong_etag(body))


def service_links(base: str) -> str:
    """The ``Link`` header of the service root (``/``): where the docs page and the contract
    are, as RFC 8631 names them, so a client that finds sleeve can find both."""
    return f'<{base}/docs>; rel="service-doc", <{base}/openapi.json>; rel="service-desc"'
