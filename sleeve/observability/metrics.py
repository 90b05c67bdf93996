"""sleeve's Prometheus metrics, one set per app, safe with several worker processes.

Two kinds of figures:

- **counted as they happen** (requests, latencies, upstream calls, failures, retries,
  429s, limiter waits and refusals, breaker states): prometheus-client metrics. With
  ``PROMETHEUS_MULTIPROC_DIR`` set (``sleeve serve --workers N`` sets it) their values
  live in that directory, one file per process, and ``/metrics`` in any worker adds up
  every worker's (``multiprocess.MultiProcessCollector``); without it, in this app's own
  registry (so that several apps in one process, as in the tests, count apart).
- **read when scraped** (:class:`Figures`): what the shared backends already know for
  every process — the answer cache's outcome counters (the ones behind
  ``/_sleeve/cache/stats``, so nothing is counted twice, and the hot path pays nothing
  more for them), the store's health, the daily image budget. They come from the scraped
  process alone, since they are already totals.

The hot path pays for a request in plain integers (:class:`RequestTally`: a dict
entry and a bucket found by bisection, a fraction of prometheus-client's locked
increments); the tally is folded into the metrics at every scrape and once a second
(:meth:`Metrics.folding`), so other workers' scrapes see it within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from bisect import bisect_left
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from .. import __version__
from .upstream_watch import UpstreamWatch

__all__ = ["CONTENT_TYPE", "UNROUTED", "Figures", "Metrics", "RequestTally", "upstream_label"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: The ``operation`` of a request no operation of the contract matched (404, 405).
UNROUTED = "unrouted"
# From a remembered hit (well under a millisecond) to an upstream call at its timeout.
REQUEST_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0)


def upstream_label(name: str) -> str:
    """``Cover Art Archive`` → ``coverartarchive``: as the cache's counters name it."""
    return name.lower().replace(" ", "")


@dataclass(frozen=True)
class Figures:
    """What ``/metrics`` reads from the shared backends when it is scraped.

    ``cache``: the answer cache's counters, ``{"upstream:kind:outcome": n}`` (``None`` when
    the store could not be read); ``budget``: the image budget's limit, used and remaining.
    """

    backend: str
    store_up: bool
    cache: Mapping[str, int] | None = None
    budget: tuple[int, int, int] | None = None
    ready: bool = True

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("sleeve_info", "sleeve's version.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        store = GaugeMetricFamily(
            "sleeve_cache_store_up",
            "1 when the cache store (SQLite or Redis) answers, else 0.",
            labels=["backend"],
        )
        store.add_metric([self.backend], 1 if self.store_up else 0)
        yield store
        ready = GaugeMetricFamily("sleeve_ready", "1 when /_sleeve/ready says ready (200), else 0.")
        ready.add_metric([], 1 if self.ready else 0)
        yield ready
        if self.cache is not None:
            yield _cache_outcomes(self.cache)
        if self.budget is not None:
            limit, used, remaining = self.budget
            for name, value, text in (
                ("limit", limit, "Discogs image fetches allowed per budget window."),
                ("used", used, "Discogs image fetches spent in the current window."),
                ("remaining", remaining, "Discogs image fetches left in the current window."),
            ):
                gauge = GaugeMetricFamily(f"sleeve_image_budget_{name}", text)
                gauge.add_metric([], value)
                yield gauge


def _cache_outcomes(counters: Mapping[str, int]) -> Metric:
    family = CounterMetricFamily(
        "sleeve_cache_answers",
        "Answers by cache outcome (hit, stale, miss, coalesced; images: hit, miss, "
        "thumbnail), per upstream and resource kind, over every process sharing the store.",
        labels=["upstream", "kind", "outcome"],
    )
    for name, count in sorted(counters.items()):
        parts = name.split(":")
        if len(parts) == 3 and not parts[0].startswith("images-day"):  # days: unbounded
            family.add_metric(parts, count)
    return family


class _Chain:
    """Several collectors as one, for :func:`generate_latest`."""

    def __init__(self, *sources: object) -> None:
        self._sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in self._sources:
            yield from source.collect()  # type: ignore[attr-defined]


class RequestTally:
    """Requests counted the cheap way until :meth:`fold` adds them to the metrics.

    Per operation, ``durations`` holds one count per bucket of ``bounds`` (the last,
    +Inf), then the sum of the seconds; a bucket is the first bound at or above the
    duration, as prometheus-client's own ``observe`` picks it.
    """

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = (*bounds, math.inf)
        self._counts: dict[tuple[str, int], int] = {}
        self._durations: dict[str, list[float]] = {}

    def add(self, operation: str, status: int, seconds: float) -> None:
        key = (operation, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        durations = self._durations.get(operation)
        if durations is None:
            durations = self._durations[operation] = [0.0] * (len(self._bounds) + 1)
        durations[bisect_left(self._bounds, seconds)] += 1
        durations[-1] += seconds

    def fold(self, requests: Counter, duration: Histogram) -> None:
        counts, self._counts = self._counts, {}
        durations, self._durations = self._durations, {}
        for (operation, status), count in counts.items():
            requests.labels(operation, str(status)).inc(count)
        for operation, tally in durations.items():
            child = duration.labels(operation)
            # prometheus-client has no public way to add n observations at once; its
            # buckets and sum are the values ``observe`` increments, one per bound.
            for bucket, observed in zip(child._buckets, tally[:-1], strict=True):
                if observed:
                    bucket.inc(observed)
            child._sum.inc(tally[-1])


class Metrics:
    """The metrics of one app. ``multiprocess_dir``: where every worker's values are kept
    (by default ``PROMETHEUS_MULTIPROC_DIR``, read when prometheus-client was imported)."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        disable_created_metrics()  # a `_created` series per counter: twice the series, no use
        # In multiprocess mode values are in files; a registry would only hold this
        # process' view, so exposition builds its own from the directory.
        registry = None if self.multiprocess_dir else CollectorRegistry()
        self.registry = registry
        self.requests = Counter(
            "sleeve_requests",
            "Requests answered, by operation (operationId; `unrouted` when none matched) "
            "and status.",
            ["operation", "status"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "sleeve_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by operation.",
            ["operation"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.upstream_calls = Counter(
            "sleeve_upstream_calls",
            "Calls (each attempt) made to an upstream, by the status it answered "
            "(`error` when no answer came).",
            ["upstream", "status"],
            registry=registry,
        )
        self.upstream_failures = Counter(
            "sleeve_upstream_failures",
            "Failed upstream calls by cause: dns, refused, tls, reset, unreachable, "
            "timeout, malformed, too_large, status (a 5xx or 429 answer).",
            ["upstream", "cause"],
            registry=registry,
        )
        self.upstream_retries = Counter(
            "sleeve_upstream_retries",
            "Upstream calls retried after a failure.",
            ["upstream"],
            registry=registry,
        )
        self.upstream_rate_limited = Counter(
            "sleeve_upstream_rate_limited",
            "429 answers from an upstream (each pauses its window for every process).",
            ["upstream"],
            registry=registry,
        )
        self.limiter_waits = Histogram(
            "sleeve_limiter_wait_seconds",
            "Time calls that had to wait spent waiting for their turn and a slot.",
            ["upstream"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.limiter_refusals = Counter(
            "sleeve_limiter_refusals",
            "Calls not made: no slot before the caller's deadline (reason=limit) or the "
            "breaker open (reason=breaker); clients got 503 or a stale answer.",
            ["upstream", "reason"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "sleeve_breaker_state",
            "The upstream's circuit breaker: 0 closed, 1 half-open, 2 open (the worst of "
            "the live processes).",
            ["upstream"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.watches: dict[str, UpstreamWatch] = {}
        self._tally = RequestTally(REQUEST_BUCKETS)

    def watch(self, upstream: str) -> UpstreamWatch:
        """What the gate of ``upstream`` reports to (one per gate, kept for readiness)."""
        watch = UpstreamWatch(upstream, self, upstream_label(upstream))
        self.watches[upstream] = watch
        return watch

    def observe_request(self, operation: str, status: int, seconds: float) -> None:
        """One request answered (on the hot path: tallied, folded in later)."""
        self._tally.add(operation, status, seconds)

    def fold(self) -> None:
        """Add the requests tallied so far to the metrics."""
        self._tally.fold(self.requests, self.request_duration)

    @contextlib.asynccontextmanager
    async def folding(
        self, every: float = 1.0, *, also: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Fold the tally every ``every`` seconds while the block runs, and once at its end.

        ``also`` runs on the same beat: the answer cache's counter flush, so that an idle
        worker's last counts reach the store (and so ``/metrics``) within a second too.
        """

        async def fold_forever() -> None:
            while True:
                await asyncio.sleep(every)
                self.fold()
                if also is not None:
                    with contextlib.suppress(Exception):  # a store away keeps them for later
                        await also()

        task = asyncio.get_running_loop().create_task(fold_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.fold()

    def exposition(self, figures: Figures) -> bytes:
        """The text format (0.0.4) of every metric, with ``figures`` read for this scrape."""
        self.fold()
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)
            return generate_latest(_Chain(registry, figures))  # type: ignore[arg-type]
        return generate_latest(_Chain(self.registry, figures))  # type: ignore[arg-type]

    def process_exiting(self) -> None:
        """Drop this process' live gauges (its breakers) from the shared directory."""
        if self.multiprocess_dir:
            mark_process_dead(os.getpid(), self.multiprocess_dir)
