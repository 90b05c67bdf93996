"""Kept images as answers: a strong ``ETag`` (the digest), a 304 when the client has it,
conditional and range requests on the file.

Starlette's ``FileResponse`` does ranges; :class:`ImageFileResponse` ignores a ``Range``
it cannot parse instead of refusing the request (RFC 9110 §14.2: a server MAY ignore the
Range header field; a client that sent a range sleeve cannot read gets the whole image).
"""

from __future__ import annotations

import pathlib

from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, Response

from ..cache.responses import not_modified
from ..errors import GatewayError

__all__ = ["IMMUTABLE", "ImageFileResponse", "image_being_replaced", "image_response"]

#: A name that is its content never changes (RFC 8246).
IMMUTABLE = "public, max-age=31536000, immutable"


class ImageFileResponse(FileResponse):
    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # the whole file


def image_response(
    request: Request,
    path: pathlib.Path | None,
    *,
    digest: str,
    content_type: str,
    cache_control: str = IMMUTABLE,
) -> Response:
    """The image kept as ``digest`` at ``path`` (None: it went missing just now)."""
    headers = {"ETag": f'"{digest}"', "Cache-Control": cache_control}
    answer = not_modified(request, headers)
    if answer is not None:
        return answer
    if path is None:
        raise image_being_replaced()
    return ImageFileResponse(path, media_type=content_type, headers=headers)


def image_being_replaced() -> GatewayError:
    """Removed between the lookup and now (found corrupt, say): the next request refetches."""
    return GatewayError(503, "The image is being replaced; try again.", {"Retry-After": "1"})
