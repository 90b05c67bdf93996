"""The ``AcousticBrainz`` operations: its read-only API, answered from the archived dumps.

Submissions and datasets answer 410 Gone. Not 405: that would say the method is wrong
for a resource that otherwise works, and the dataset resources do not work with any
method. 410 says what is true for all of them: the service that took these requests is
gone for good, so a client should stop retrying (RFC 9110 §15.5.11).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.acousticbrainz.service import AcousticBrainzService
from sleeve.cache.responses import validated_response
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

    # --- reads --------------------------------------------------------------------------

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

    # --- writes: gone with the service --------------------------------------------------

    async def submit_low_level(self, **_: Any) -> Response:
        raise _read_only()

    async def create_dataset(self, **_: Any) -> Response:
        raise _read_only()

    async def get_dataset(self, **_: Any) -> Response:
        raise _read_only()

    async def update_dataset(self, **_: Any) -> Response:
        raise _read_only()

    async def delete_dataset(self, **_: Any) -> Response:
        raise _read_only()

    async def add_dataset_class(self, **_: Any) -> Response:
        raise _read_only()

    async def update_dataset_class(self, **_: Any) -> Response:
        raise _read_only()

    async def delete_dataset_class(self, **_: Any) -> Response:
        raise _read_only()

    async def add_dataset_recordings(self, **_: Any) -> Response:
        raise _read_only()

    async def delete_dataset_recordings(self, **_: Any) -> Response:
        raise _read_only()


def _answer(request: Request, body: bytes) -> Response:
    """``body`` as JSON with a strong ETag; 304 when the client holds it already."""
    return validated_response(
        request,
        body,
        media_type="application/json",
        headers={"Cache-Control": ARCHIVE_CACHE_CONTROL},
    )


def _read_only() -> GatewayError:
    return GatewayError(410, READ_ONLY_MESSAGE)
