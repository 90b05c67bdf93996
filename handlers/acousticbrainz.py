"""The ``AcousticBrainz`` operations: its read-only API, answered from the archived dumps."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.acousticbrainz.service import AcousticBrainzService
from sleeve.cache.http_caching import if_none_match
from sleeve.errors import GatewayError

#: The archive only grows by imports of the same final dumps: a day is safe to keep.
ARCHIVE_CACHE_CONTROL = "public, max-age=86400"
READ_ONLY_MESSAGE = (
    "AcousticBrainz ended in 2022; sleeve serves its final data dumps read-only, so "
    "submissions and datasets are no longer available."
)


class AcousticBrainzHandlers:
    """One method per AcousticBrainz operation; each asks the service and sends its JSON."""

    def __init__(self, service: AcousticBrainzService) -> None:
        self._service = service

    async def get_low_level(self, request: Request, mbid: str, n: int = 0) -> Response:
        return _answer(request, await self._service.document("lowlevel", mbid, n))

    async def get_high_level(
        self, request: Request, mbid: str, n: int = 0, map_classes: bool = False
    ) -> Response:
        body = await self._service.document("highlevel", mbid, n, map_classes=map_classes)
        return _answer(request, body)

    async def get_submission_count(self, request: Request, mbid: str) -> Response:
        return _answer(request, await self._service.count(mbid))

    async def get_bulk_low_level(self, request: Request, recording_ids: str) -> Response:
        return _answer(request, await self._service.documents("lowlevel", recording_ids))

    async def get_bulk_high_level(
        self, request: Request, recording_ids: str, map_classes: bool = False
    ) -> Response:
        body = await self._service.documents("highlevel", recording_ids, map_classes=map_classes)
        return _answer(request, body)

    async def get_bulk_count(self, request: Request, recording_ids: str) -> Response:
        return _answer(request, await self._service.counts(recording_ids))

    async def refuse_write(self, request: Request, **_: Any) -> Response:
        """Submissions and datasets: 410 Gone.

        Not 405: that would say the method is wrong for a resource that otherwise works,
        and the dataset resources do not work with any method. 410 says what is true
        for all of them: the service that took these requests is gone for good, so a
        client should stop retrying (RFC 9110 §15.5.11).
        """
        raise GatewayError(410, READ_ONLY_MESSAGE)

    submit_low_level = refuse_write
    create_dataset = refuse_write
    get_dataset = refuse_write
    update_dataset = refuse_write
    delete_dataset = refuse_write
    add_dataset_class = refuse_write
    update_dataset_class = refuse_write
    delete_dataset_class = refuse_write
    add_dataset_recordings = refuse_write
    delete_dataset_recordings = refuse_write


def _answer(request: Request, body: bytes) -> Response:
    """``body`` as JSON with a strong ETag; 304 when the client holds it already."""
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": ARCHIVE_CACHE_CONTROL}
    if if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
