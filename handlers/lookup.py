"""The ``Lookup`` operations: one barcode or ISRC asked of every source at once.

The code is checked here (a GTIN's check digit, an ISRC's shape: what the document's
pattern cannot say) before any source is asked; the answer is never stored whole (each
source's upstream answers are, by its own service), so ``Cache-Control: no-cache`` asks
clients to revalidate, and the ``ETag`` makes that a 304 when nothing changed.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sleeve.cache.responses import validated_response
from sleeve.errors import GatewayError
from sleeve.lookup.codes import BadCode, checked_isrc
from sleeve.lookup.codes import gtin as parsed_gtin
from sleeve.lookup.service import CrossLookup
from sleeve.url_rewriting import PublicBase

_HEADERS = {"Cache-Control": "no-cache"}


class LookupHandlers:
    def __init__(self, lookup: CrossLookup, public: PublicBase) -> None:
        self._lookup = lookup
        self._public = public

    async def lookup_barcode(self, request: Request, gtin: str) -> Response:
        try:
            code = parsed_gtin(gtin)
        except BadCode as exc:
            raise GatewayError(400, f"gtin: {exc}") from None
        return _answer(request, await self._lookup.barcode(code, self._public.of(request)))

    async def lookup_isrc_everywhere(self, request: Request, isrc: str) -> Response:
        try:
            code = checked_isrc(isrc)
        except BadCode as exc:
            raise GatewayError(400, f"isrc: {exc}") from None
        return _answer(request, await self._lookup.isrc(code, self._public.of(request)))


def _answer(request: Request, found: dict[str, Any]) -> Response:
    body = json.dumps(found, ensure_ascii=False).encode()
    return validated_response(request, body, media_type="application/json", headers=_HEADERS)
