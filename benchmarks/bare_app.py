"""The baseline: a bare Starlette app answering the same bytes sleeve answers on a hit."""

from __future__ import annotations

import os
import pathlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = pathlib.Path(os.environ["BARE_BODY_FILE"]).read_bytes()


async def answer(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", answer)])
