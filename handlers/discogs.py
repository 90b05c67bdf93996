"""The Discogs database operations (tags ``Service`` and ``Database``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sleeve.discogs.service import DiscogsService


class DiscogsHandlers:
    """Each method forwards one operation to Discogs through :class:`DiscogsService`.

    Query parameters are listed explicitly: only what the document declares is ever sent
    upstream, and defaults (``page=1``, ``per_page=50``) are sent spelled out, so equal
    requests look equal upstream.
    """

    def __init__(self, service: DiscogsService) -> None:
        self._service = service

    async def get_service(self, request: Request) -> Response:
        return await self._service.forward(request, "/")

    async def get_artist(self, request: Request, artist_id: int) -> Response:
        return await self._service.forward(request, f"/artists/{artist_id}")

    async def get_artist_releases(
        self,
        request: Request,
        artist_id: int,
        page: int,
        per_page: int,
        sort: str | None = None,
        sort_order: str | None = None,
    ) -> Response:
        return await self._service.forward(
            request,
            f"/artists/{artist_id}/releases",
            sort=sort,
            sort_order=sort_order,
            page=page,
            per_page=per_page,
        )

    async def get_release(
        self, request: Request, release_id: int, curr_abbr: str | None = None
    ) -> Response:
        return await self._service.forward(request, f"/releases/{release_id}", curr_abbr=curr_abbr)

    async def get_release_rating(self, request: Request, release_id: int) -> Response:
        return await self._service.forward(request, f"/releases/{release_id}/rating")

    async def get_user_release_rating(
        self, request: Request, release_id: int, username: str
    ) -> Response:
        return await self._service.forward(request, f"/releases/{release_id}/rating/{username}")

    async def get_release_stats(self, request: Request, release_id: int) -> Response:
        return await self._service.forward(request, f"/releases/{release_id}/stats")

    async def get_master(self, request: Request, master_id: int) -> Response:
        return await self._service.forward(request, f"/masters/{master_id}")

    async def get_master_versions(
        self,
        request: Request,
        master_id: int,
        page: int,
        per_page: int,
        format: str | None = None,
        label: str | None = None,
        released: str | None = None,
        country: str | None = None,
        sort: str | None = None,
        sort_order: str | None = None,
    ) -> Response:
        return await self._service.forward(
            request,
            f"/masters/{master_id}/versions",
            format=format,
            label=label,
            released=released,
            country=country,
            sort=sort,
            sort_order=sort_order,
            page=page,
            per_page=per_page,
        )

    async def get_label(self, request: Request, label_id: int) -> Response:
        return await self._service.forward(request, f"/labels/{label_id}")

    async def get_label_releases(
        self, request: Request, label_id: int, page: int, per_page: int
    ) -> Response:
        return await self._service.forward(
            request, f"/labels/{label_id}/releases", page=page, per_page=per_page
        )

    async def search_database(
        self, request: Request, page: int, per_page: int, **filters: str
    ) -> Response:
        """``q``, ``type`` and the field filters pass through as the document declares them."""
        return await self._service.forward(
            request, "/database/search", **filters, page=page, per_page=per_page
        )
