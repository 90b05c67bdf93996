"""Whether this process can serve what it is configured for (``GET /_sleeve/ready``).

Liveness (``/_sleeve/health``) is 200 while the process runs: restarting a process whose
Redis is down fixes nothing. Readiness is what a load balancer should route by. It is
**not ready** (503) exactly when:

- the **cache store** does not answer (the SQLite file cannot be read, or Redis — which
  then also holds the shared limits and image budget — is unreachable): sleeve would
  still answer, but uncached and with per-process limits, so every request would cost an
  upstream call another instance could spare; or
- the process is **not started** or is **shutting down** (no HTTP session to upstreams).

Upstreams are reported (each gate's breaker and its last failure) but never make sleeve
unready: every instance shares the same upstreams, so taking instances out because
Discogs is down would only turn its outage into sleeve's, when kept answers could still
be served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .upstream_watch import UpstreamWatch

__all__ = ["Readiness", "ReadinessReport"]


@dataclass(frozen=True)
class ReadinessReport:
    ready: bool
    body: dict[str, Any]

    @property
    def status(self) -> int:
        return 200 if self.ready else 503


class _Store(Protocol):
    """What readiness asks of the cache store (:class:`~sleeve.cache.store.CacheStore`)."""

    async def healthy(self) -> bool: ...


class Readiness:
    def __init__(
        self,
        store: _Store,
        *,
        backend: str,
        watches: Mapping[str, UpstreamWatch],
        started: Callable[[], bool],
    ) -> None:
        """``started()``: whether the lifespan has opened the HTTP session and not yet
        closed it."""
        self._store = store
        self._backend = backend
        self._watches = watches
        self._started = started

    async def report(self) -> ReadinessReport:
        store_up = await self._store.healthy()
        started = self._started()
        reasons = []
        if not store_up:
            reasons.append(f"the cache store ({self._backend}) is unreachable")
        if not started:
            reasons.append("sleeve is starting or shutting down")
        body: dict[str, Any] = {
            "status": "ready" if not reasons else "unready",
            "reasons": reasons,
            "cache": {"backend": self._backend, "healthy": store_up},
            "upstreams": dict(_upstreams(self._watches.values())),
        }
        if self._backend == "redis":
            body["redis"] = {"healthy": store_up}
        return ReadinessReport(not reasons, body)


def _upstreams(watches: Iterable[UpstreamWatch]) -> Iterable[tuple[str, dict[str, Any]]]:
    for watch in watches:
        breaker = watch.breaker
        state = getattr(breaker.state, "value", "closed") if breaker is not None else "closed"
        entry: dict[str, Any] = {"name": watch.upstream, "breaker": state, "last_failure": None}
        if breaker is not None and state == "open":
            entry["retry_after"] = round(breaker.retry_after(), 3)
        failure = watch.last_failure
        if failure is not None:
            entry["last_failure"] = {
                "at": failure.at,
                "cause": failure.cause,
                "host": failure.host,
                "message": failure.message,
                "status": failure.status,
            }
        yield watch.label, entry
