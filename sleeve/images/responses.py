"""Image files as answers: Starlette's ``FileResponse`` (conditional and range requests),
ignoring a ``Range`` it cannot parse instead of refusing the request.

RFC 9110 §14.2: a server MAY ignore the Range header field; a client that sent a range
sleeve cannot read gets the whole image (200), which every client can use.
"""

from __future__ import annotations

from starlette.responses import FileResponse, MalformedRangeHeader


class ImageFileResponse(FileResponse):
    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # the whole file
