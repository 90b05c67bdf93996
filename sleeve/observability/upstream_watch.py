"""What one upstream's gate reports: to the metrics, to the log, and for readiness.

The gate (:mod:`sleeve.governance.gate`) calls these as it goes; the watch counts (when
the app has :class:`~sleeve.observability.metrics.Metrics`), notes each call on the
request's record (:mod:`.request_record`), logs every failure naming the upstream, the
host and the cause, and keeps the last failure for ``/_sleeve/ready``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .request_record import current, note_upstream_call

if TYPE_CHECKING:
    from .metrics import Metrics

__all__ = ["BREAKER_VALUES", "Failure", "UpstreamWatch"]

logger = logging.getLogger("sleeve.upstream")

BREAKER_VALUES = {"closed": 0, "half-open": 1, "open": 2}


class _Breaker(Protocol):
    """What readiness reads of a breaker (:class:`~sleeve.governance.breaker.CircuitBreaker`)."""

    @property
    def state(self) -> object: ...

    def retry_after(self) -> float: ...


@dataclass(frozen=True)
class Failure:
    """An upstream call that failed: when (Unix seconds), why (``cause``, as in
    :mod:`sleeve.adapters.http`, or ``status``), whom it asked, and the status if it
    answered."""

    at: float
    cause: str
    host: str | None
    message: str
    status: int | None = None


class UpstreamWatch:
    def __init__(self, upstream: str, metrics: Metrics | None = None, label: str = "") -> None:
        self.upstream = upstream
        self.label = label or upstream.lower().replace(" ", "")
        self.last_failure: Failure | None = None
        self.breaker: _Breaker | None = None  # the gate's, for readiness
        self._metrics = metrics
        if metrics is not None:
            metrics.breaker_state.labels(self.label).set(0)

    def calling(self) -> None:
        """An attempt goes out now (counted on the request it is made for)."""
        note_upstream_call()

    def answered(self, status: int, host: str | None) -> None:
        if self._metrics is not None:
            self._metrics.upstream_calls.labels(self.label, str(status)).inc()
            if status == 429:
                self._metrics.upstream_rate_limited.labels(self.label).inc()
        if status >= 500 or status == 429:
            self._failed(Failure(time.time(), "status", host, f"answered {status}", status))

    def raised(self, cause: str, host: str | None, message: str) -> None:
        if self._metrics is not None:
            self._metrics.upstream_calls.labels(self.label, "error").inc()
        self._failed(Failure(time.time(), cause, host, message))

    def retried(self) -> None:
        if self._metrics is not None:
            self._metrics.upstream_retries.labels(self.label).inc()

    def waited(self, seconds: float) -> None:
        if self._metrics is not None:
            self._metrics.limiter_waits.labels(self.label).observe(seconds)

    def refused(self, reason: str) -> None:
        """No call made: ``limit`` (no slot in time) or ``breaker`` (it is open)."""
        if self._metrics is not None:
            self._metrics.limiter_refusals.labels(self.label, reason).inc()

    def breaker_changed(self, state: str) -> None:
        if state == "open":
            logger.warning("%s: circuit breaker open; calls rest", self.upstream)
        if self._metrics is not None:
            self._metrics.breaker_state.labels(self.label).set(BREAKER_VALUES.get(state, 0))

    def _failed(self, failure: Failure) -> None:
        self.last_failure = failure
        if self._metrics is not None:
            self._metrics.upstream_failures.labels(self.label, failure.cause).inc()
        record = current()
        logger.warning(
            "upstream failure: %s host=%s cause=%s: %s",
            self.upstream,
            failure.host or "-",
            failure.cause,
            failure.message,
            extra={
                "upstream": self.label,
                "host": failure.host,
                "cause": failure.cause,
                "upstream_status": failure.status,
                "request_id": record.id if record is not None else None,
            },
        )
