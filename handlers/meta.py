"""The ``Meta`` operations: the contract itself."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


class MetaHandlers:
    """Serves the contract as bundled from its parts (``sleeve.openapi31.bundle``), never
    connexion's resolved copy.

    connexion's resolved copy inlines every ``$ref`` (and loops on recursive schemas); SDK
    generators want the document as written, with its named components.
    ``sleeve openapi`` prints the same document offline.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self._body = json.dumps(document, ensure_ascii=False).encode()

    async def get_open_api_document(self) -> Response:
        return Response(self._body, media_type="application/json")
