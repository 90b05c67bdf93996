"""The app factory: settings in, a ready ASGI application out.

Layers, outermost first: access log → client limits → hot path (repeats of validated
cache hits) → connexion (routing, 2020-12 validation, error shaping) → handlers →
services → cache → upstream gate (limits, breaker, retries) → adapters → upstream.
Everything is built here, before the event loop runs; the lifespan only opens and closes
the HTTP session, the store and the limiters.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from connexion.exceptions import ProblemException
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from adapters.acousticbrainz import AcousticBrainzAdapter
from adapters.coverart import CoverArtAdapter
from adapters.discogs import DiscogsAdapter, DiscogsCredentials
from adapters.http import Adapter, HttpClient, UpstreamResponse
from adapters.musicbrainz import MusicBrainzAdapter
from handlers import operation_resolver
from handlers.acousticbrainz import AcousticBrainzHandlers
from handlers.coverart import CoverArtHandlers
from handlers.discogs import DiscogsHandlers
from handlers.gateway import GatewayHandlers
from handlers.image_stats import ImageStatsHandlers
from handlers.images import ImageHandlers
from handlers.links import LinkHandlers
from handlers.meta import MetaHandlers
from handlers.musicbrainz import MusicBrainzHandlers

from . import errors
from .access_log import AccessLogMiddleware
from .acousticbrainz.service import AcousticBrainzService, FetchMissing
from .acousticbrainz.store import FeatureStore
from .allowed_methods import AllowedMethods
from .cache.answer_cache import AnswerCache
from .cache.freshness import FreshnessPolicy
from .cache.store import CacheStore
from .client_limits import ClientLimitMiddleware
from .clients import ClientDirectory
from .config import CacheSettings, ClientsSettings, DiscogsSettings, Settings, UpstreamSettings
from .coverart.service import CoverArt
from .discogs_proxy import DiscogsProxy
from .governance.breaker import CircuitBreaker
from .governance.gate import UpstreamGate
from .governance.limiter import LimiterBackend
from .governance.local_limiter import LocalLimiterBackend
from .governance.retry import RetryPolicy
from .hot_path import HotPathMiddleware, RenderedAnswers
from .images.blob_store import BlobStore
from .images.fallbacks import CoverArtFallback
from .images.fetching import HostAllowList
from .images.names import NameIndex
from .images.service import DiscogsImages
from .images.single_flight import ImageFlights
from .musicbrainz.links import MusicBrainzLinks
from .musicbrainz.proxy import MusicBrainzProxy
from .openapi31 import SpecFirstApp, load_specification

AdapterType = TypeVar("AdapterType", bound=Adapter)
SPEC_PATH = pathlib.Path(__file__).resolve().parent.parent / "openapi" / "sleeve.yaml"

# Credentials are sleeve's own business (the document lists the forms clients use), so
# connexion's security middleware would only re-parse them on every request; and the
# document is served by an operation of its own, as written, not by connexion's UI layer.
MIDDLEWARES = [
    middleware
    for middleware in ConnexionMiddleware.default_middlewares
    if middleware not in (SecurityMiddleware, SwaggerUIMiddleware)
]


def create_app(settings: Settings) -> ASGIApp:
    """The gateway for ``settings``, as an ASGI app for any server."""
    http = HttpClient()
    public_url = str(settings.server.public_url) if settings.server.public_url else None
    store = open_store(settings.cache)
    limiters, local_limiters = open_limiters(settings.cache), LocalLimiterBackend()
    cache = AnswerCache(store, _freshness(settings.cache), lock_ttl=settings.cache.lock_ttl)
    rendered = RenderedAnswers(max_age=settings.cache.local_max_age)
    discogs_adapter = _discogs_adapter(http, settings.upstreams.discogs)
    discogs = DiscogsProxy(
        discogs_adapter,
        cache,
        upstream_gate(
            "Discogs",
            settings.upstreams.discogs,
            limiters,
            local_limiters,
            # Discogs counts per source address, 60/min with credentials and 25 without.
            limit=settings.upstreams.discogs.rate_limit
            if discogs_adapter.authenticated
            else settings.upstreams.discogs.anonymous_rate_limit,
            remaining_header="X-Discogs-Ratelimit-Remaining",
        ),
        rendered=rendered,
        public_url=public_url,
    )

    musicbrainz = MusicBrainzProxy(
        _adapter(MusicBrainzAdapter, http, settings.upstreams.musicbrainz),
        cache,
        upstream_gate(
            "MusicBrainz",
            settings.upstreams.musicbrainz,
            limiters,
            local_limiters,
            remaining_header="X-RateLimit-Remaining",
        ),
        rendered=rendered,
    )

    links = MusicBrainzLinks(musicbrainz)
    features = FeatureStore(str(settings.acousticbrainz.path))
    acousticbrainz = AcousticBrainzService(
        features, fetch_missing=_acousticbrainz_upstream(settings, http, limiters, local_limiters)
    )
    cover_art = _cover_art(settings, http, cache, limiters, local_limiters, rendered)
    fallback = CoverArtFallback(links, cover_art)
    images = _discogs_images(
        settings, http, discogs, store, cache, limiters, local_limiters, fallback
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        await asyncio.to_thread(images.blobs.sweep_temporaries)  # a crashed writer's leftovers
        await http.open()
        try:
            yield
        finally:
            await cache.close()
            await http.close()
            await store.close()
            await limiters.close()
            await features.close()

    specification = load_specification(SPEC_PATH)
    admin_token = settings.server.admin_token
    handlers = (
        DiscogsHandlers(discogs),
        MusicBrainzHandlers(musicbrainz),
        CoverArtHandlers(cover_art, delivery=settings.images.cover_art_delivery),
        LinkHandlers(links, public_url=public_url),
        AcousticBrainzHandlers(acousticbrainz),
        MetaHandlers(specification.raw),
        ImageHandlers(images, require_key=settings.images.require_key),
        ImageStatsHandlers(images.blobs, images.budget, cache.counters),
        GatewayHandlers(
            cache,
            rendered,
            backend=settings.cache.backend,
            admin_token=admin_token.get_secret_value() if admin_token else None,
        ),
    )
    app = SpecFirstApp(
        __name__,
        lifespan=lifespan,
        middlewares=MIDDLEWARES,
        resolver=operation_resolver(*handlers),
        validate_responses=settings.server.validate_responses,
    )
    app.add_api(specification)
    _add_error_handlers(app, AllowedMethods(specification.raw["paths"]))
    clients = settings.clients
    limited = ClientLimitMiddleware(
        HotPathMiddleware(app, rendered, cache.count_hit),
        _client_directory(clients),
        limiters,
        local_limiters,
        window=clients.window,
    )
    return AccessLogMiddleware(limited)


def open_store(config: CacheSettings) -> CacheStore:
    """The configured store: an embedded SQLite file, or a Redis shared by many processes."""
    if config.backend == "redis":
        from .cache.redis_store import RedisStore

        return RedisStore(config.redis_url, namespace=config.namespace)
    from .cache.sqlite_store import SQLiteStore

    config.path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(config.path, max_bytes=config.max_bytes)


def open_limiters(config: CacheSettings) -> LimiterBackend:
    """Limits shared like the cache: through Redis, or within this process."""
    if config.backend == "redis":
        from .governance.redis_limiter import RedisLimiterBackend

        return RedisLimiterBackend(config.redis_url, namespace=config.namespace)
    return LocalLimiterBackend()


def upstream_gate(
    name: str,
    config: UpstreamSettings,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
    *,
    limit: int | None = None,
    remaining_header: str | None = None,
) -> UpstreamGate:
    """The gate every call to upstream ``name`` passes: its limit, breaker and retries.

    The window sleeve keeps is a little longer than the upstream's own (``window_margin``),
    so that the time a call takes to arrive can never squeeze one window's calls into a
    shorter one upstream. Limits are shared like the cache (through Redis).
    """
    limit = limit or config.rate_limit
    window = config.window + config.window_margin
    key = f"upstream:{name.lower().replace(' ', '')}"
    return UpstreamGate(
        name,
        limiters.limiter(key, limit, window),
        local_limiters.limiter(key, limit, window),
        max_wait=config.max_wait,
        breaker=CircuitBreaker(
            failure_threshold=config.breaker_failures, open_for=config.breaker_open_for
        ),
        retry=RetryPolicy(max_attempts=config.attempts),
        remaining_header=remaining_header,
    )


def _discogs_images(
    settings: Settings,
    http: HttpClient,
    discogs: DiscogsProxy,
    store: CacheStore,
    cache: AnswerCache,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
    fallback: CoverArtFallback,
) -> DiscogsImages:
    """Discogs images: fetched once within the daily image budget, then served from disk."""
    config = settings.images
    budget = ("images:discogs", config.daily_budget, config.budget_window)
    return DiscogsImages(
        document=discogs.document,
        http=http,
        blobs=BlobStore(config.path / "blobs"),
        names=NameIndex(config.path / "names"),
        locks=store,
        budget=limiters.limiter(*budget),
        budget_fallback=local_limiters.limiter(*budget),
        allowed_hosts=config.allowed_hosts,
        user_agent=settings.upstreams.discogs.user_agent,
        timeout=settings.upstreams.discogs.timeout,
        max_bytes=config.max_bytes,
        count=cache.count,
        fallback=fallback.primary_image,
        sources=config.sources,
    )


def _cover_art(
    settings: Settings,
    http: HttpClient,
    cache: AnswerCache,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
    rendered: RenderedAnswers,
) -> CoverArt:
    """Cover Art Archive listings through the cache; its images into the same image store
    as Discogs' (content-addressed: one file however many names point at it)."""
    config, images = settings.upstreams.coverartarchive, settings.images
    blobs, names = BlobStore(images.path / "blobs"), NameIndex(images.path / "names")
    return CoverArt(
        _adapter(CoverArtAdapter, http, config),
        cache,
        upstream_gate("Cover Art Archive", config, limiters, local_limiters),
        blobs=blobs,
        names=names,
        flights=ImageFlights(names, blobs, cache.store, lock_ttl=settings.cache.lock_ttl),
        allowed_hosts=HostAllowList(images.allowed_hosts),
        max_bytes=images.max_bytes,
        count=cache.count,
        rendered=rendered,
        public_url=str(settings.server.public_url) if settings.server.public_url else None,
    )


def _acousticbrainz_upstream(
    settings: Settings,
    http: HttpClient,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
) -> FetchMissing | None:
    """Misses to a self-hosted AcousticBrainz server, when one is configured."""
    config = settings.upstreams.acousticbrainz
    if config.base_url is None:
        return None
    adapter = _adapter(AcousticBrainzAdapter, http, config)
    gate = upstream_gate("AcousticBrainz", config, limiters, local_limiters)

    async def fetch(path_and_query: str) -> UpstreamResponse:
        return await gate.call(lambda: adapter.get(path_and_query))

    return fetch


def _client_directory(config: ClientsSettings) -> ClientDirectory:
    return ClientDirectory(
        [(key.name, key.sha256, key.limit or config.limit) for key in config.keys],
        anonymous=config.anonymous,
        anonymous_limit=config.anonymous_limit,
    )


def _freshness(config: CacheSettings) -> FreshnessPolicy:
    return FreshnessPolicy(
        ttls=config.ttls,
        negative_ttl=config.negative_ttl,
        stale_while_revalidate=config.stale_while_revalidate,
        stale_if_error=config.stale_if_error,
    )


def _adapter(kind: type[AdapterType], http: HttpClient, config: UpstreamSettings) -> AdapterType:
    """An upstream's adapter, configured from its settings section."""
    assert config.base_url is not None
    return kind(
        http,
        base_url=str(config.base_url),
        user_agent=config.user_agent,
        connect_timeout=config.connect_timeout,
        timeout=config.timeout,
    )


def _discogs_adapter(http: HttpClient, config: DiscogsSettings) -> DiscogsAdapter:
    credentials = None
    if config.token is not None:
        credentials = DiscogsCredentials(token=config.token.get_secret_value())
    elif config.key is not None and config.secret is not None:
        credentials = DiscogsCredentials(
            key=config.key.get_secret_value(), secret=config.secret.get_secret_value()
        )
    return DiscogsAdapter(
        http,
        base_url=str(config.base_url),
        user_agent=config.user_agent,
        credentials=credentials,
        connect_timeout=config.connect_timeout,
        timeout=config.timeout,
    )


def _add_error_handlers(app: SpecFirstApp, allowed: AllowedMethods) -> None:
    app.add_error_handler(errors.GatewayError, errors.on_gateway_error)
    app.add_error_handler(ProblemException, errors.on_problem)
    app.add_error_handler(HTTPException, errors.on_http_exception(allowed))
    app.add_error_handler(Exception, errors.on_unexpected)
