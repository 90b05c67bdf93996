"""The API docs page (tag ``Meta``): ``/docs`` and the files it loads, ``/docs/{asset}``.

Static, and answered from memory: each with its ``ETag`` (304 for ``If-None-Match``) and
its ``Cache-Control``; the page with a ``Content-Security-Policy`` that allows no inline
script and no other origin. Every URL in the page is relative, so it works under any path
prefix a proxy puts sleeve at.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sleeve.cache.responses import not_modified
from sleeve.docs_page import CONTENT_SECURITY_POLICY, DocsAsset, DocsAssets
from sleeve.errors import GatewayError


class DocsHandlers:
    def __init__(self, assets: DocsAssets) -> None:
        self._assets = assets

    async def get_docs_page(self, request: Request) -> Response:
        return _answer(
            request, self._assets.page, {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
        )

    async def redirect_docs_page(self) -> Response:
        """``/docs/`` → ``/docs``: the page's relative URLs are written for ``/docs``.

        The target is relative too (``../docs``), so it stays under any path prefix."""
        return RedirectResponse("../docs", status_code=301)

    async def get_docs_asset(self, request: Request, asset: str) -> Response:
        found = self._assets.asset(asset)
        if found is None:
            raise GatewayError(
                404, f"No such docs asset; the assets are {', '.join(self._assets.names)}."
            )
        return _answer(request, found)


def _answer(request: Request, asset: DocsAsset, extra: dict[str, str] | None = None) -> Response:
    headers = {
        "ETag": asset.etag,
        "Cache-Control": asset.cache_control,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    return not_modified(request, headers) or Response(
        asset.body, media_type=asset.media_type, headers=headers
    )
