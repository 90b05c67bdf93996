"""Tells the request's record which operation connexion routed it to.

Placed inside connexion, right after its routing: connexion notes the operationId in the
scope it passes on, which is not the scope the outer middleware holds, so the access log
(:mod:`.access_log`) learns it from the record instead.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..observability.request_record import note_operation


class RoutedOperationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")
        if operation:
            note_operation(operation)
        await self.app(scope, receive, send)
