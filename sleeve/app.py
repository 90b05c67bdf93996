"""The app factory: settings in, a ready ASGI application out.

:func:`create_app` reads as the architecture, in named steps: the **backends** where state
lives (the cache store and the rate limits, embedded or in Redis), what every upstream
shares (**shared**: the HTTP session, the answer cache, the image store, where clients
reach sleeve), the **services** of each upstream (its adapter, its gate, its proxied
answers), the **handlers** the contract's operations resolve to, and the **ASGI stack**
around connexion, outermost first. Everything is built here, before the event loop runs;
the lifespan only opens and closes what needs a running loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import pathlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from connexion.middleware import ConnexionMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from pydantic import SecretStr
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from .acousticbrainz.service import AcousticBrainzService, FetchMissing
from .acousticbrainz.store import FeatureStore
from .adapters.acousticbrainz import AcousticBrainzAdapter
from .adapters.bearer import BearerAdapter
from .adapters.coverart import CoverArtAdapter
from .adapters.discogs import DiscogsAdapter, DiscogsCredentials
from .adapters.http import Adapter, HttpClient
from .adapters.itunes import ITunesAdapter
from .adapters.musicbrainz import MusicBrainzAdapter
from .adapters.spotify import SpotifyAdapter
from .adapters.tidal import TidalAdapter
from .backends.redis import RedisConnection
from .bearer_catalog import BearerCatalog
from .cache.answer_cache import AnswerCache
from .cache.freshness import FreshnessPolicy
from .cache.rendered import RenderedAnswers
from .cache.store import CacheStore
from .client_credentials import ClientCredentials as SharedCredentials
from .config import (
    CacheSettings,
    ClientsSettings,
    DiscogsSettings,
    Settings,
    SpotifySettings,
    TidalSettings,
    UpstreamSettings,
)
from .coverart.service import CoverArtService
from .discogs.image_sources import CoverArtSources, ITunesArtwork, OtherSources
from .discogs.images import DiscogsImages
from .discogs.service import KEPT_HEADERS as DISCOGS_KEPT_HEADERS
from .discogs.service import DiscogsService
from .docs_page import DocsAssets
from .edge.access_log import AccessLogMiddleware
from .edge.allowed_methods import AllowedMethods
from .edge.client_limits import ClientLimitMiddleware
from .edge.error_responses import add_error_handlers
from .edge.hit_front import HitFront
from .edge.hot_path import DeclaredQueries, HotPathMiddleware
from .edge.request_guard import RequestGuardMiddleware
from .edge.routed_operation import RoutedOperationMiddleware
from .governance.breaker import CircuitBreaker
from .governance.clients import ClientDirectory
from .governance.fallback import FallbackLimiterBackend
from .governance.gate import UpstreamGate
from .governance.limiter import LimiterBackend
from .governance.request_counts import RequestCountsBackend
from .governance.retry import RetryPolicy
from .handlers import operation_resolver
from .handlers.acousticbrainz import AcousticBrainzHandlers
from .handlers.coverart import CoverArtHandlers
from .handlers.discogs import DiscogsHandlers
from .handlers.docs import DocsHandlers
from .handlers.gateway import GatewayHandlers
from .handlers.image_stats import ImageStatsHandlers
from .handlers.images import ImageHandlers
from .handlers.itunes import ITunesHandlers
from .handlers.links import LinkHandlers
from .handlers.lookup import LookupHandlers
from .handlers.meta import MetaHandlers
from .handlers.musicbrainz import MusicBrainzHandlers
from .handlers.observability import ObservabilityHandlers
from .handlers.spotify import SpotifyHandlers
from .handlers.tidal import TidalHandlers
from .images.fetching import HostAllowList
from .images.store import ImageStore
from .itunes.service import ITunesService
from .lookup.service import CrossLookup
from .lookup.sources import (
    DiscogsSource,
    ITunesSource,
    MusicBrainzSource,
    Source,
    SpotifySource,
    TidalSource,
)
from .musicbrainz.links import MusicBrainzLinks
from .musicbrainz.service import MusicBrainzService
from .observability.access_lines import AccessLines
from .observability.metrics import Metrics
from .observability.readiness import Readiness
from .observability.upstream_watch import UpstreamWatch
from .openapi31 import OpenAPI31Specification, SpecFirstApp, load_specification
from .spotify.service import SpotifyService
from .spotify.token import ClientCredentials as SpotifyCredentials
from .tidal.service import TidalService
from .tidal.token import ClientCredentials as TidalCredentials
from .upstream import ProxiedUpstream
from .url_rewriting import PublicBase

__all__ = [
    "SPEC_PATH",
    "Backends",
    "Services",
    "Shared",
    "build_handlers",
    "build_services",
    "contract_path",
    "create_app",
    "embedded_limits",
    "limits_path",
    "open_backends",
    "open_shared",
    "open_store",
    "upstream_gate",
    "wrapped",
]

AdapterType = TypeVar("AdapterType", bound=Adapter)
CatalogType = TypeVar("CatalogType", bound=BearerCatalog)

# Credentials are sleeve's own business (the document lists the forms clients use), so
# connexion's security middleware would only re-parse them on every request; and the
# document is served by an operation of its own, as written, not by connexion's UI layer.
# The operation routed to is noted for the request's log line and metrics (the edge's
# access log sees the scope before connexion's routing adds it).
CONNEXION_MIDDLEWARE = [
    routed
    for middleware in ConnexionMiddleware.default_middlewares
    if middleware not in (SecurityMiddleware, SwaggerUIMiddleware)
    for routed in (
        (middleware, RoutedOperationMiddleware)
        if middleware is RoutingMiddleware
        else (middleware,)
    )
]


def contract_path() -> pathlib.Path:
    """The root file of the contract, shipped as package data: ``sleeve.contract`` is the
    repository's ``openapi/`` folder, in a checkout and in an installed wheel alike."""
    return pathlib.Path(str(importlib.resources.files("sleeve.contract") / "sleeve.yaml"))


SPEC_PATH = contract_path()


def create_app(settings: Settings) -> ASGIApp:
    """The gateway for ``settings``, as an ASGI app for any server."""
    backends = open_backends(settings.cache, settings.clients, workers=settings.server.workers)
    shared = open_shared(settings, backends)
    services = build_services(settings, shared)
    contract = load_specification(SPEC_PATH)
    api = SpecFirstApp(
        __name__,
        lifespan=_lifespan(backends, shared, services),
        middlewares=CONNEXION_MIDDLEWARE,
        resolver=operation_resolver(*build_handlers(settings, shared, services, contract)),
        validate_responses=settings.server.validate_responses,
    )
    api.add_api(contract)
    add_error_handlers(api, AllowedMethods(contract.raw["paths"]))
    directory = _client_directory(settings.clients)
    declared = DeclaredQueries(contract.raw["paths"], contract.raw["components"]["parameters"])
    app = wrapped(
        api,
        [  # outermost first
            Middleware(AccessLogMiddleware, shared.lines, shared.metrics),
            Middleware(
                ClientLimitMiddleware,
                directory,
                backends.client_limits,
                window=settings.clients.window,
            ),
            Middleware(
                RequestGuardMiddleware,
                contract.raw["paths"],
                admin_token=_secret(settings.server.admin_token),
                max_body_bytes=settings.server.max_body_bytes,
            ),
            Middleware(HotPathMiddleware, shared.cache.rendered, shared.cache.count, declared),
        ],
    )
    # Hits, ahead of all of that, for the server that asks (edge.http_protocol).
    app.hit_front = HitFront(  # type: ignore[attr-defined]
        shared.cache.rendered,
        shared.cache.count,
        declared,
        directory,
        backends.client_limits,
        window=settings.clients.window,
        lines=shared.lines,
        metrics=shared.metrics,
    )
    return app


# --- backends: where state lives -----------------------------------------------------


@dataclass(frozen=True)
class Backends:
    """The cache store, the rate limits and the one Redis pool they share (if any).

    Upstream windows and budgets (``upstream_limits``: a few names, never forgotten) are
    kept apart from client counts (``client_limits``: one name per caller, the least
    recently seen forgotten past ``clients.max_tracked``), so that no amount of client
    traffic can erase what sleeve has spent upstream.
    """

    store: CacheStore
    upstream_limits: LimiterBackend
    client_limits: LimiterBackend
    redis: RedisConnection | None = None

    async def close(self) -> None:
        """Close all three, even when one fails on the way."""
        async with contextlib.AsyncExitStack() as closing:
            if self.redis is not None:
                closing.push_async_callback(self.redis.close)
            closing.push_async_callback(self.upstream_limits.close)
            closing.push_async_callback(self.client_limits.close)
            closing.push_async_callback(self.store.close)


def open_backends(config: CacheSettings, clients: ClientsSettings, *, workers: int = 1) -> Backends:
    """The configured backends: one Redis (one pool) shared by many processes for the cache
    and the limits, with per-process limits to fall back on while it is away; or the
    embedded SQLite cache with limits in SQLite files beside it (:func:`embedded_limits`).
    Client limits are counters where they can be (cheap on every request), shared
    through Redis in batches (:mod:`.governance.shared_request_counts`)."""
    tracked = clients.max_tracked
    if config.backend == "redis":
        from .cache.redis_store import RedisStore
        from .governance.count_totals import RedisCountTotals
        from .governance.redis_limiter import RedisLimiterBackend
        from .governance.shared_request_counts import SharedRequestCountsBackend

        redis = RedisConnection(config.redis_url, max_connections=200)  # cache and limits
        shared = RedisLimiterBackend(redis, namespace=config.namespace)
        return Backends(
            RedisStore(redis, namespace=config.namespace),
            FallbackLimiterBackend(shared),
            SharedRequestCountsBackend(
                RedisCountTotals(redis, namespace=config.namespace), max_names=tracked
            ),
            redis,
        )
    upstream_limits, client_limits = embedded_limits(config, clients, workers=workers)
    return Backends(open_store(config), upstream_limits, client_limits)


def embedded_limits(
    config: CacheSettings, clients: ClientsSettings, *, workers: int
) -> tuple[LimiterBackend, LimiterBackend]:
    """Limits beside the embedded cache: upstream windows and budgets always in a SQLite
    file every worker shares (an admission costs 0.1 to 0.2 ms, and upstream calls are rare),
    so N workers keep one limit and a restart forgets nothing spent. Client counts are
    counters (arithmetic only on a request); with several workers they add up in a file of
    their own in batches, so client traffic never holds the lock upstream admissions take.
    Either file failing (locked past its timeout, disk full) counts in-process meanwhile.
    """
    from .governance.count_totals import SQLiteCountTotals
    from .governance.shared_request_counts import SharedRequestCountsBackend
    from .governance.sqlite_limiter import SQLiteLimiterBackend

    tracked = clients.max_tracked
    config.path.parent.mkdir(parents=True, exist_ok=True)
    upstream = FallbackLimiterBackend(SQLiteLimiterBackend(limits_path(config, "limits")))
    if workers == 1:
        return upstream, RequestCountsBackend(max_names=tracked)
    totals = SQLiteCountTotals(limits_path(config, "client-limits"))
    return upstream, SharedRequestCountsBackend(totals, max_names=tracked)


def limits_path(config: CacheSettings, what: str) -> pathlib.Path:
    """``cache.db`` → ``cache-limits.db``: the embedded limits live beside the cache."""
    return config.path.with_name(f"{config.path.stem}-{what}.db")


def open_store(config: CacheSettings) -> CacheStore:
    """The configured cache store alone (``sleeve cache purge`` needs no more)."""
    if config.backend == "redis":
        from .cache.redis_store import RedisStore

        return RedisStore(config.redis_url, namespace=config.namespace)
    from .cache.sqlite_store import SQLiteStore

    config.path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(config.path, max_bytes=config.max_bytes)


# --- shared: what every upstream's service is built from ------------------------------


@dataclass(frozen=True)
class Shared:
    http: HttpClient
    cache: AnswerCache
    upstream_limits: LimiterBackend
    images: ImageStore
    public: PublicBase
    metrics: Metrics = field(default_factory=Metrics)  # one set per app (tests run many)
    lines: AccessLines = field(default_factory=AccessLines)  # the access log's


def open_shared(settings: Settings, backends: Backends) -> Shared:
    config = settings.cache
    policy = FreshnessPolicy(
        ttls=config.ttls.by_upstream(),
        negative_ttl=config.negative_ttl,
        stale_while_revalidate=config.stale_while_revalidate,
        stale_if_error=config.stale_if_error,
    )
    cache = AnswerCache(
        backends.store,
        policy,
        rendered=RenderedAnswers(max_age=config.local_max_age),
        lock_ttl=config.lock_ttl,
    )
    images = ImageStore(
        settings.images.path,
        backends.store,
        max_bytes=settings.images.max_bytes,
        lock_ttl=config.lock_ttl,
    )
    public_url = settings.server.public_url
    return Shared(
        HttpClient(),
        cache,
        backends.upstream_limits,
        images,
        PublicBase(str(public_url or "") or None),
    )


# --- services: one per upstream --------------------------------------------------------


@dataclass(frozen=True)
class Services:
    discogs: DiscogsService
    discogs_images: DiscogsImages
    musicbrainz: MusicBrainzService
    links: MusicBrainzLinks
    cover_art: CoverArtService
    acousticbrainz: AcousticBrainzService
    archive: FeatureStore
    itunes: ITunesService
    spotify: SpotifyService
    tidal: TidalService


def build_services(settings: Settings, shared: Shared) -> Services:
    upstreams = settings.upstreams
    discogs_adapter = _discogs_adapter(shared.http, upstreams.discogs)
    discogs = DiscogsService(
        discogs_adapter,
        ProxiedUpstream(
            shared.cache,
            _discogs_gate(
                upstreams.discogs,
                shared.upstream_limits,
                discogs_adapter.authenticated,
                shared.metrics.watch("Discogs"),
            ),
            keep=DISCOGS_KEPT_HEADERS,
        ),
        public=shared.public,
    )
    musicbrainz = MusicBrainzService(
        _adapter(MusicBrainzAdapter, shared.http, upstreams.musicbrainz),
        ProxiedUpstream(
            shared.cache,
            upstream_gate(
                "MusicBrainz",
                upstreams.musicbrainz,
                shared.upstream_limits,
                remaining_header="X-RateLimit-Remaining",
                watch=shared.metrics.watch("MusicBrainz"),
            ),
        ),
    )
    links = MusicBrainzLinks(musicbrainz)
    cover_art = CoverArtService(
        _adapter(CoverArtAdapter, shared.http, upstreams.coverartarchive),
        ProxiedUpstream(
            shared.cache,
            upstream_gate(
                "Cover Art Archive",
                upstreams.coverartarchive,
                shared.upstream_limits,
                watch=shared.metrics.watch("Cover Art Archive"),
            ),
            unreachable_status=503,  # the archive's contract: 503 whenever it is out of reach
            timeout_status=503,
        ),
        shared.images,
        allowed_hosts=HostAllowList(settings.images.allowed_hosts),
        public=shared.public,
    )
    archive = FeatureStore(str(settings.acousticbrainz.path))
    itunes = _itunes(settings, shared)
    other_sources = OtherSources(CoverArtSources(links, cover_art), ITunesArtwork(discogs, itunes))
    return Services(
        discogs=discogs,
        discogs_images=_discogs_images(settings, shared, discogs, discogs_adapter, other_sources),
        musicbrainz=musicbrainz,
        links=links,
        cover_art=cover_art,
        acousticbrainz=AcousticBrainzService(
            archive, fetch_missing=_acousticbrainz_upstream(settings, shared)
        ),
        archive=archive,
        itunes=itunes,
        spotify=_bearer_catalog(
            SpotifyService, SpotifyAdapter, SpotifyCredentials, upstreams.spotify, settings, shared
        ),
        tidal=_bearer_catalog(
            TidalService, TidalAdapter, TidalCredentials, upstreams.tidal, settings, shared
        ),
    )


def upstream_gate(
    name: str,
    config: UpstreamSettings,
    limits: LimiterBackend,
    *,
    limit: int | None = None,
    remaining_header: str | None = None,
    watch: UpstreamWatch | None = None,
) -> UpstreamGate:
    """The gate every call to upstream ``name`` passes: its limit, breaker and retries.

    The window sleeve keeps is a little longer than the upstream's own (``window_margin``),
    so that the time a call takes to arrive can never squeeze one window's calls into a
    shorter one upstream. Limits are shared like the cache (through Redis).
    """
    limit = limit or config.rate_limit
    window = config.window + config.window_margin
    return UpstreamGate(
        name,
        limits.limiter(f"upstream:{name.lower().replace(' ', '')}", limit, window),
        max_wait=config.max_wait,
        breaker=_breaker(config),
        retry=RetryPolicy(max_attempts=config.attempts),
        remaining_header=remaining_header,
        hold=config.timeout + 1.0,  # an attempt's slot is held until its answer is back
        watch=watch,
    )


def _discogs_gate(
    config: DiscogsSettings, limits: LimiterBackend, authenticated: bool, watch: UpstreamWatch
) -> UpstreamGate:
    """Discogs counts per source address: 60/min with credentials, 25 without."""
    return upstream_gate(
        "Discogs",
        config,
        limits,
        limit=config.rate_limit if authenticated else config.anonymous_rate_limit,
        remaining_header="X-Discogs-Ratelimit-Remaining",
        watch=watch,
    )


def _discogs_images(
    settings: Settings,
    shared: Shared,
    discogs: DiscogsService,
    adapter: DiscogsAdapter,
    other_sources: OtherSources,
) -> DiscogsImages:
    """Discogs images: fetched once within the daily image budget (a gate of its own,
    shared by every process), then served from disk; other sources per ``images.sources``.
    """
    config, upstream = settings.images, settings.upstreams.discogs
    budget = UpstreamGate(
        "Discogs images",
        shared.upstream_limits.limiter("images:discogs", config.daily_budget, config.budget_window),
        # A short wait for a slot (a 429's pause, say); a spent day is refused at once.
        max_wait=min(upstream.max_wait, 5.0),
        breaker=_breaker(upstream),
        retry=RetryPolicy(max_attempts=1),  # each attempt spends a unit of a scarce budget
        limit_name="daily image budget",
        hold=upstream.timeout + 1.0,
        watch=shared.metrics.watch("Discogs images"),
    )
    return DiscogsImages(
        discogs,
        adapter,
        ProxiedUpstream(shared.cache, budget),
        shared.images,
        allowed_hosts=HostAllowList(config.allowed_hosts),
        count=shared.cache.count,
        sources=config.sources,
        other_source=other_sources.primary_image,
    )


def _itunes(settings: Settings, shared: Shared) -> ITunesService:
    """Apple's Search API within its ~20 calls a minute (its 403 past that is a 429 to the
    gate: see the adapter), and its artwork CDN within a gate of its own."""
    config = settings.upstreams.itunes
    watch = shared.metrics.watch("iTunes")
    artwork = UpstreamGate(
        "iTunes images",
        shared.upstream_limits.limiter("images:itunes", config.artwork_rate_limit, 1.0),
        max_wait=min(config.max_wait, 5.0),
        breaker=_breaker(config),
        retry=RetryPolicy(max_attempts=config.attempts),
        hold=config.timeout + 1.0,
        watch=shared.metrics.watch("iTunes images"),
    )
    return ITunesService(
        _adapter(ITunesAdapter, shared.http, config),
        ProxiedUpstream(
            shared.cache, upstream_gate("iTunes", config, shared.upstream_limits, watch=watch)
        ),
        ProxiedUpstream(shared.cache, artwork),
        shared.images,
        allowed_hosts=HostAllowList(settings.images.allowed_hosts),
        public=shared.public,
    )


def _bearer_catalog(
    service: type[CatalogType],
    adapter_kind: type[BearerAdapter],
    credentials: type[SharedCredentials],
    config: SpotifySettings | TidalSettings,
    settings: Settings,
    shared: Shared,
) -> CatalogType:
    """A catalog read with sleeve's token (when credentials are set: one grant shared by
    every process through the store) or the client's own."""
    adapter = _adapter(adapter_kind, shared.http, config)
    token = None
    if config.client_id is not None and config.client_secret is not None:
        token = credentials(
            adapter,
            shared.cache.store,
            accounts_url=str(config.accounts_url),
            client_id=config.client_id,
            client_secret=config.client_secret.get_secret_value(),
            lock_ttl=settings.cache.lock_ttl,
        )
    name = adapter_kind.name
    gate = upstream_gate(name, config, shared.upstream_limits, watch=shared.metrics.watch(name))
    return service(adapter, ProxiedUpstream(shared.cache, gate), token, public=shared.public)


def _acousticbrainz_upstream(settings: Settings, shared: Shared) -> FetchMissing | None:
    """Misses to a self-hosted AcousticBrainz server, when one is configured."""
    config = settings.upstreams.acousticbrainz
    if config.base_url is None:
        return None
    adapter = _adapter(AcousticBrainzAdapter, shared.http, config)
    upstream = ProxiedUpstream(
        shared.cache,
        upstream_gate(
            "AcousticBrainz",
            config,
            shared.upstream_limits,
            watch=shared.metrics.watch("AcousticBrainz"),
        ),
    )
    return lambda path_and_query: upstream.fetched(partial(adapter.get, path_and_query))


def _breaker(config: UpstreamSettings) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=config.breaker_failures, open_for=config.breaker_open_for
    )


def _adapter(kind: type[AdapterType], http: HttpClient, config: UpstreamSettings) -> AdapterType:
    """An upstream's adapter, configured from its settings section."""
    assert config.base_url is not None
    return kind(http, **_adapter_options(config))


def _discogs_adapter(http: HttpClient, config: DiscogsSettings) -> DiscogsAdapter:
    credentials = None
    if config.token is not None:
        credentials = DiscogsCredentials(token=config.token.get_secret_value())
    elif config.key is not None and config.secret is not None:
        credentials = DiscogsCredentials(
            key=config.key.get_secret_value(), secret=config.secret.get_secret_value()
        )
    return DiscogsAdapter(http, credentials=credentials, **_adapter_options(config))


def _adapter_options(config: UpstreamSettings) -> dict[str, Any]:
    return {
        "base_url": str(config.base_url),
        "user_agent": config.user_agent,
        "connect_timeout": config.connect_timeout,
        "timeout": config.timeout,
        "max_bytes": config.max_answer_bytes,
    }


# --- handlers: what the contract's operations resolve to --------------------------------


def build_handlers(
    settings: Settings, shared: Shared, services: Services, contract: OpenAPI31Specification
) -> tuple[object, ...]:
    images = services.discogs_images
    return (
        DiscogsHandlers(services.discogs),
        MusicBrainzHandlers(services.musicbrainz),
        CoverArtHandlers(
            services.cover_art, shared.images, delivery=settings.images.cover_art_delivery
        ),
        LinkHandlers(services.links, public=shared.public),
        AcousticBrainzHandlers(services.acousticbrainz),
        ITunesHandlers(services.itunes, shared.images),
        SpotifyHandlers(services.spotify),
        LookupHandlers(_cross_lookup(services), shared.public),
        TidalHandlers(services.tidal),
        MetaHandlers(contract.raw),
        DocsHandlers(DocsAssets()),
        ImageHandlers(images, shared.images, require_key=settings.images.require_key),
        ImageStatsHandlers(shared.images.blobs, images.budget, shared.cache.counters),
        GatewayHandlers(shared.cache, backend=settings.cache.backend),
        ObservabilityHandlers(
            shared.metrics,
            Readiness(
                shared.cache.store,
                backend=settings.cache.backend,
                watches=shared.metrics.watches,
                started=lambda: shared.http.is_open,
            ),
            shared.cache,
            images.budget,
            backend=settings.cache.backend,
            metrics_token=_secret(settings.server.metrics_token),
        ),
    )


def _cross_lookup(services: Services) -> CrossLookup:
    """Every source a barcode or an ISRC is asked of, in the order answers list them."""
    sources: list[Source] = [
        DiscogsSource(services.discogs),
        MusicBrainzSource(services.musicbrainz),
        ITunesSource(services.itunes),
        SpotifySource(services.spotify),
        TidalSource(services.tidal),
    ]
    return CrossLookup(sources, services.links)


# --- the ASGI stack ----------------------------------------------------------------------


def wrapped(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    """``app`` inside ``middleware``, the first of which sees each request first."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


def _lifespan(
    backends: Backends, shared: Shared, services: Services
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """Opens the HTTP session (it needs a running loop) and, on the way out, lets
    background refreshes finish and closes everything."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as closing:  # in reverse, each whatever fails
            closing.callback(shared.metrics.process_exiting)  # its live gauges, if shared
            closing.callback(shared.lines.close)  # the last lines
            closing.push_async_callback(services.archive.close)
            closing.push_async_callback(backends.close)
            await asyncio.to_thread(shared.images.sweep_temporaries)  # crashed writers' leftovers
            await shared.http.open()
            closing.push_async_callback(shared.http.close)
            await closing.enter_async_context(
                shared.metrics.folding(also=shared.cache.flush_counters)
            )
            closing.push_async_callback(shared.cache.close)  # lets background refreshes finish
            yield

    return lifespan


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _client_directory(config: ClientsSettings) -> ClientDirectory:
    return ClientDirectory(
        [(key.name, key.sha256, key.limit or config.limit) for key in config.keys],
        anonymous=config.anonymous,
        anonymous_limit=config.anonymous_limit,
    )
