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
from typing import Any

from connexion.exceptions import ProblemException
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from adapters.discogs import DiscogsAdapter, DiscogsCredentials
from adapters.http import HttpClient
from handlers import operation_resolver
from handlers.discogs import DiscogsHandlers
from handlers.gateway import GatewayHandlers
from handlers.image_stats import ImageStatsHandlers
from handlers.images import ImageHandlers
from handlers.meta import MetaHandlers

from . import errors
from .access_log import AccessLogMiddleware
from .cache.answer_cache import AnswerCache
from .cache.freshness import FreshnessPolicy
from .cache.store import CacheStore
from .client_limits import ClientLimitMiddleware
from .clients import ClientDirectory
from .config import CacheSettings, ClientsSettings, DiscogsSettings, Settings
from .discogs_proxy import DiscogsProxy
from .governance.breaker import CircuitBreaker
from .governance.gate import UpstreamGate
from .governance.limiter import LimiterBackend
from .governance.local_limiter import LocalLimiterBackend
from .governance.retry import RetryPolicy
from .hot_path import HotPathMiddleware, RenderedAnswers
from .images.blob_store import BlobStore
from .images.names import NameIndex
from .images.service import DiscogsImages
from .openapi31 import SpecFirstApp, load_specification

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
    store = open_store(settings.cache)
    limiters, local_limiters = open_limiters(settings.cache), LocalLimiterBackend()
    cache = AnswerCache(store, _freshness(settings.cache), lock_ttl=settings.cache.lock_ttl)
    rendered = RenderedAnswers(max_age=settings.cache.local_max_age)
    discogs_adapter = _discogs_adapter(http, settings.upstreams.discogs)
    discogs = DiscogsProxy(
        discogs_adapter,
        cache,
        _discogs_gate(settings.upstreams.discogs, discogs_adapter, limiters, local_limiters),
        rendered=rendered,
        public_url=str(settings.server.public_url) if settings.server.public_url else None,
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

    specification = load_specification(SPEC_PATH)
    images = _discogs_images(settings, http, discogs, store, cache, limiters, local_limiters)
    admin_token = settings.server.admin_token
    handlers = (
        DiscogsHandlers(discogs),
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
    _add_error_handlers(app)
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


def _discogs_gate(
    config: DiscogsSettings,
    adapter: DiscogsAdapter,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
) -> UpstreamGate:
    """Discogs counts per source address, 60/min with credentials and 25 without.

    The window sleeve keeps is a little longer than Discogs' own, so that the time a call
    takes to arrive can never squeeze one window's calls into a shorter one upstream.
    """
    limit = config.rate_limit if adapter.authenticated else config.anonymous_rate_limit
    window = config.window + config.window_margin
    return UpstreamGate(
        "Discogs",
        limiters.limiter("upstream:discogs", limit, window),
        local_limiters.limiter("upstream:discogs", limit, window),
        max_wait=config.max_wait,
        breaker=CircuitBreaker(
            failure_threshold=config.breaker_failures, open_for=config.breaker_open_for
        ),
        retry=RetryPolicy(max_attempts=config.attempts),
        remaining_header="X-Discogs-Ratelimit-Remaining",
    )


def _discogs_images(
    settings: Settings,
    http: HttpClient,
    discogs: DiscogsProxy,
    store: CacheStore,
    cache: AnswerCache,
    limiters: LimiterBackend,
    local_limiters: LimiterBackend,
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
    )


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


def _add_error_handlers(app: SpecFirstApp) -> None:
    app.add_error_handler(errors.GatewayError, errors.on_gateway_error)
    app.add_error_handler(ProblemException, errors.on_problem)
    app.add_error_handler(HTTPException, errors.on_http_exception)
    app.add_error_handler(Exception, errors.on_unexpected)
