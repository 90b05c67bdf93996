"""The operators' operations: ``GET /metrics`` (Prometheus) and ``GET /_sleeve/ready``."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sleeve.backends import StoreUnavailable
from sleeve.cache.answer_cache import AnswerCache
from sleeve.errors import GatewayError
from sleeve.governance.limiter import RateLimiter
from sleeve.observability.metrics import CONTENT_TYPE, Figures, Metrics
from sleeve.observability.readiness import Readiness


class ObservabilityHandlers:
    """``metrics_token``: what ``/metrics`` requires as a bearer token (``None``: open)."""

    def __init__(
        self,
        metrics: Metrics,
        readiness: Readiness,
        cache: AnswerCache,
        image_budget: RateLimiter,
        *,
        backend: str,
        metrics_token: str | None = None,
    ) -> None:
        self._metrics = metrics
        self._readiness = readiness
        self._cache = cache
        self._budget = image_budget
        self._backend = backend
        self._token = metrics_token

    async def get_metrics(self, request: Request) -> Response:
        self._authorize(request.headers.get("authorization"))
        report = await self._readiness.report()
        store_up = report.body["cache"]["healthy"]
        counters = budget = None
        if store_up:
            try:
                counters = await self._cache.counters()
                peeked = await self._budget.peek()
                used = peeked.used - int(peeked.admitted)  # peek answers as if admitting one
                budget = (self._budget.limit, used, self._budget.limit - used)
            except StoreUnavailable:
                store_up = False
        figures = Figures(self._backend, store_up, counters, budget, ready=report.ready)
        return Response(self._metrics.exposition(figures), media_type=CONTENT_TYPE)

    async def get_readiness(self) -> JSONResponse:
        report = await self._readiness.report()
        return JSONResponse(report.body, status_code=report.status)

    def _authorize(self, authorization: str | None) -> None:
        if self._token is None:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        if authorization is None:
            raise GatewayError(401, "A metrics token is required.", challenge)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._token.encode()
        ):
            raise GatewayError(403, "A valid metrics token is required.", challenge)
