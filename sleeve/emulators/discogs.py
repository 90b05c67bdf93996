"""An emulator of the Discogs database API (v2) for sleeve's tests.

Tests run sleeve over real HTTP against this server on 127.0.0.1 and then assert on what
it saw: how many calls, to which paths, with which User-Agent and credentials, and at
which moments (for rate-limit windows). It serves the sample catalogue of
``discogs_data`` with Discogs' paths, status codes, error bodies, headers, pagination,
``Accept`` variants and auth rules, and it can be told to misbehave (``set_mode``).

Usage from async tests::

    emulator = DiscogsEmulator(rate_limit=3, window_seconds=1)
    async with emulator.serve() as base_url:
        ...  # point sleeve at base_url
    assert emulator.calls_by_path["/releases/1"] == 1

With ``image_host="self"`` it is also Discogs' image host: image URLs in authenticated
answers are signed and point at the emulator (``/img/<signature>/rs:fit/g:sm/q:90/h:600/
w:600/<id>.jpeg``), fetching one gives a real JPEG, any change to the URL gives 404, and
image fetches have their own moving-window limit (``image_limit`` per
``image_window_seconds``) and counters (``image_calls``, ``image_calls_by_path``).

From synchronous code, ``EmulatorThread(emulator)`` (or ``start_in_thread``) runs it on
its own event loop in a daemon thread. Out of process: ``python -m sleeve.emulators.discogs
--port 8765``, controlled over ``/_emulator/mode``, ``/_emulator/calls``, ``/_emulator/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from aiohttp import web

from .discogs_access import Caller, Decision, MovingWindowLimiter, classify, read_credentials
from .discogs_data import (
    API_ROOT,
    IMAGE_ROOT,
    VERSION_FILTERS,
    WEB_ROOT,
    Catalogue,
    Doc,
    build_catalogue,
    filter_versions,
    price_in,
    search,
    version_filters,
)
from .discogs_images import (
    IMAGE_CACHE_CONTROL,
    IMAGE_NOT_FOUND,
    IMAGE_PATH,
    IMAGE_TOO_QUICK,
    ImageSigner,
    ImageStore,
    etag_matches,
    parse_signed_part,
    signed_part_of,
    signed_url,
)
from .discogs_listing import (
    PageOutOfRange,
    link_header,
    page_urls,
    page_window,
    pagination_block,
    parse_page_request,
    sort_entries,
)
from .discogs_markup import media_type_header, variant_from_accept
from .discogs_present import rebase, with_image_urls, with_rendered_markup, without_images
from .serving import serve_app

# --- messages, as Discogs words them (or as close as we know) ---------------------------

NOT_FOUND = {
    "artist": "Artist not found.",
    "release": "Release not found.",
    "master": "Master not found.",
    "label": "Label not found.",
}
UNKNOWN_PATH = "The requested resource was not found."
METHOD_NOT_ALLOWED = "The method is not allowed for the requested URL."
INVALID_CREDENTIALS = "Invalid consumer token. Please register an app before making API requests."
AUTH_REQUIRED = "You must authenticate to access this resource."
TOO_QUICK = "You are making requests too quickly."
PAGE_NOT_FOUND = "Page not found"
USER_NOT_FOUND = "User does not exist or may have been deleted."
SERVER_ERRORS = {
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable.",
}
DEFAULT_GARBAGE = b'{"pagination": {"page": 1, <html><body>upstream hiccup</body></html>'

MODES = ("ok", "delay", "error", "drop", "garbage", "ratelimited")
IMAGE_HOSTS = (None, "self")
CONTROL_PREFIX = "/_emulator/"
RECORDED_HEADERS = ("User-Agent", "Authorization", "Accept", "Accept-Encoding", "If-None-Match")


class DiscogsError(Exception):
    """An error answer: status plus Discogs' ``{"message": …}`` body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class RecordedRequest(NamedTuple):
    """One arrival: when (``time.monotonic()``), what, and the headers tests care about."""

    time: float
    method: str
    path_qs: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.path_qs.split("?", 1)[0]


@dataclass
class FailureMode:
    """How the emulator misbehaves; ``times=None`` means until told otherwise."""

    name: str = "ok"
    times: int | None = None
    seconds: float = 1.0
    status: int = 500
    message: str | None = None
    retry_after: int = 60
    body: bytes = DEFAULT_GARBAGE


@dataclass(frozen=True)
class RequestContext:
    """What the handlers need to know about the caller."""

    base_url: str
    caller: Caller
    variant: str

    @property
    def authenticated(self) -> bool:
        return self.caller is Caller.AUTHENTICATED


CONTEXT = web.RequestKey("discogs_context", RequestContext)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``Content-Type: application/json`` without charset, like Discogs."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    return web.Response(
        body=payload, status=status, headers=headers, content_type="application/json"
    )


def error_response(error: DiscogsError) -> web.Response:
    return json_response({"message": error.message}, error.status, dict(error.headers))


def _entity_id(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DiscogsEmulator:
    """The emulator's state (catalogue, counters, mode, limits, credentials) and its app."""

    def __init__(
        self,
        *,
        rate_limit: int = 60,
        anonymous_rate_limit: int = 25,
        window_seconds: float = 60.0,
        tokens: set[str] | None = None,
        key_secrets: dict[str, str] | None = None,
        catalogue: Catalogue | None = None,
        image_host: str | None = None,
        image_limit: int = 1000,
        image_window_seconds: float = 86400.0,
    ) -> None:
        if image_host not in IMAGE_HOSTS:
            raise ValueError(f"unknown image_host {image_host!r}; expected one of {IMAGE_HOSTS}")
        self.catalogue = catalogue or build_catalogue()
        self.tokens = set(tokens) if tokens is not None else {"emulator-token"}
        self.key_secrets = (
            dict(key_secrets) if key_secrets is not None else {"emulator-key": "emulator-secret"}
        )
        self.limiters = {
            Caller.AUTHENTICATED: MovingWindowLimiter(rate_limit, window_seconds),
            Caller.ANONYMOUS: MovingWindowLimiter(anonymous_rate_limit, window_seconds),
        }
        # "documented": {num_have, num_want}; "live": what live answers have been seen to hold.
        self.stats_style = "documented"
        self.calls = 0
        self.calls_by_path: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        # The image host (``image_host="self"``): None keeps the catalogue's unserved URLs.
        self.image_host = image_host
        self.image_limiter = MovingWindowLimiter(image_limit, image_window_seconds)
        self.image_calls = 0
        self.image_calls_by_path: Counter[str] = Counter()
        self._image_signer = ImageSigner()
        self._image_store = ImageStore()
        self._mode = FailureMode()
        self._lock = threading.Lock()

    # --- settings ---------------------------------------------------------------------

    def set_rate_limits(
        self,
        rate_limit: int | None = None,
        anonymous_rate_limit: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        """Change limits mid-test; windows already counted are kept."""
        for caller, limit in (
            (Caller.AUTHENTICATED, rate_limit),
            (Caller.ANONYMOUS, anonymous_rate_limit),
        ):
            if limit is not None:
                self.limiters[caller].limit = limit
            if window_seconds is not None:
                self.limiters[caller].window_seconds = window_seconds

    @property
    def rate_limit(self) -> int:
        return self.limiters[Caller.AUTHENTICATED].limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        self.set_rate_limits(rate_limit=value)

    @property
    def anonymous_rate_limit(self) -> int:
        return self.limiters[Caller.ANONYMOUS].limit

    @anonymous_rate_limit.setter
    def anonymous_rate_limit(self, value: int) -> None:
        self.set_rate_limits(anonymous_rate_limit=value)

    @property
    def window_seconds(self) -> float:
        return self.limiters[Caller.AUTHENTICATED].window_seconds

    @window_seconds.setter
    def window_seconds(self, value: float) -> None:
        self.set_rate_limits(window_seconds=value)

    @property
    def image_limit(self) -> int:
        return self.image_limiter.limit

    @image_limit.setter
    def image_limit(self, value: int) -> None:
        self.image_limiter.limit = value

    @property
    def image_window_seconds(self) -> float:
        return self.image_limiter.window_seconds

    @image_window_seconds.setter
    def image_window_seconds(self, value: float) -> None:
        self.image_limiter.window_seconds = value

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """Switch behaviour: ``ok``, ``delay`` (``seconds``), ``error`` (``status``,
        ``message``), ``drop``, ``garbage`` (``body``), ``ratelimited`` (``retry_after``).

        With ``times=N`` the mode applies to the next N requests, then ``ok`` returns.
        Image fetches are requests too: they take the mode and count towards ``times``.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        if isinstance(options.get("body"), str):
            options["body"] = options["body"].encode()
        if times is not None and times <= 0:
            mode = "ok"
        with self._lock:
            self._mode = FailureMode(name=mode, times=times, **options)

    @property
    def mode(self) -> str:
        return self._mode.name

    def reset(self) -> None:
        """Forget calls, rate-limit windows and failure modes (settings stay)."""
        with self._lock:
            self.calls = 0
            self.calls_by_path.clear()
            self.requests.clear()
            self.image_calls = 0
            self.image_calls_by_path.clear()
            self._mode = FailureMode()
            for limiter in self.limiters.values():
                limiter.clear()
            self.image_limiter.clear()

    def arrival_times(self, path: str | None = None) -> list[float]:
        """Monotonic arrival times, optionally only for one path (without query)."""
        return [r.time for r in self.requests if path is None or r.path == path]

    def image_url_for(
        self, kind: str, entity_id: int, index: int, base_url: str, *, size: str = "uri"
    ) -> str:
        """The URL of image ``index`` (0 = primary) of an artist, label, master or release,
        exactly as an authenticated answer from the emulator at ``base_url`` holds it.

        ``size`` is ``"uri"`` (full size, the default) or ``"uri150"`` (the thumbnail).
        """
        tables = {
            "artist": self.catalogue.artists,
            "label": self.catalogue.labels,
            "master": self.catalogue.masters,
            "release": self.catalogue.releases,
        }
        if kind not in tables:
            raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(tables)}")
        if size not in ("uri", "uri150"):
            raise ValueError(f"unknown size {size!r}; expected 'uri' or 'uri150'")
        images = tables[kind][entity_id].get("images", [])
        if not 0 <= index < len(images):
            raise IndexError(f"{kind} {entity_id} has {len(images)} images, no index {index}")
        return self._image_url(images[index][size], base_url.rstrip("/"))

    def _is_image_fetch(self, request: web.Request) -> bool:
        return self.image_host == "self" and request.path.startswith(IMAGE_PATH + "/")

    def _image_url(self, url: str, base_url: str) -> str:
        """A catalogue image URL as answers from ``base_url`` carry it."""
        if self.image_host is None:
            return url
        signed_part = signed_part_of(url, IMAGE_ROOT)
        return signed_url(base_url + IMAGE_PATH, self._image_signer, signed_part)

    # --- app --------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        routes = {
            "/": self._root,
            r"/artists/{artist_id:\d+}": self._artist,
            r"/artists/{artist_id:\d+}/releases": self._artist_releases,
            r"/releases/{release_id:\d+}": self._release,
            r"/releases/{release_id:\d+}/rating": self._release_rating,
            r"/releases/{release_id:\d+}/rating/{username}": self._release_user_rating,
            r"/releases/{release_id:\d+}/stats": self._release_stats,
            r"/masters/{master_id:\d+}": self._master,
            r"/masters/{master_id:\d+}/versions": self._master_versions,
            r"/labels/{label_id:\d+}": self._label,
            r"/labels/{label_id:\d+}/releases": self._label_releases,
            "/database/search": self._search,
        }
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        if self.image_host == "self":
            app.router.add_get(IMAGE_PATH + "/{signature}/{signed_part:.+}", self._image)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run the emulator on ``host:port`` (0 = any free port); yields its base URL."""
        # Like Discogs behind Cloudflare, accept request lines up to 16 KB (aiohttp: 8 KB).
        async with serve_app(self.make_app(), host, port, max_line_size=16_384) as url:
            yield url

    # --- the request pipeline ---------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record, misbehave if told to, then apply Discogs' rules before the handler."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        if self._is_image_fetch(request):
            return await self._image_pipeline(request, handler)
        self._record(request)
        caller = classify(
            read_credentials(request.headers, request.query), self.tokens, self.key_secrets
        )
        failure = await self._misbehave(self._take_mode(), request, caller)
        if failure is not None:
            return failure
        if not request.headers.get("User-Agent"):
            return web.Response(status=200, body=b"")  # what Discogs does without a UA
        decision = self.limiters[self._bucket(caller)].acquire()
        try:
            response = await self._answer(request, handler, caller, decision)
        except DiscogsError as error:
            response = error_response(error)
        response.headers.update(decision.headers())
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, caller: Caller, decision: Decision
    ) -> web.StreamResponse:
        if not decision.allowed:
            raise DiscogsError(429, TOO_QUICK, {"Retry-After": str(decision.retry_after)})
        if caller is Caller.INVALID:
            raise DiscogsError(401, INVALID_CREDENTIALS)
        routing_error = request.match_info.http_exception
        if isinstance(routing_error, web.HTTPMethodNotAllowed):
            raise DiscogsError(405, METHOD_NOT_ALLOWED)
        if routing_error is not None:
            raise DiscogsError(404, UNKNOWN_PATH)
        variant = variant_from_accept(request.headers.get("Accept"))
        request[CONTEXT] = RequestContext(f"{request.scheme}://{request.host}", caller, variant)
        response = await handler(request)
        response.headers["X-Discogs-Media-Type"] = media_type_header(variant)
        return response

    async def _image_pipeline(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Image fetches: no credentials or User-Agent rules, a limit of their own."""
        self._record(request, image=True)
        failure = await self._misbehave(self._take_mode(), request, None)
        if failure is not None:
            return failure
        decision = self.image_limiter.acquire()
        if not decision.allowed:
            headers = {"Retry-After": str(decision.retry_after)}
            return json_response({"message": IMAGE_TOO_QUICK}, 429, headers)
        if isinstance(request.match_info.http_exception, web.HTTPMethodNotAllowed):
            return json_response({"message": METHOD_NOT_ALLOWED}, 405)
        if request.match_info.http_exception is not None:
            return json_response({"message": IMAGE_NOT_FOUND}, 404)
        return await handler(request)

    @staticmethod
    def _bucket(caller: Caller) -> Caller:
        """Bad credentials count against the anonymous allowance."""
        return Caller.AUTHENTICATED if caller is Caller.AUTHENTICATED else Caller.ANONYMOUS

    def _record(self, request: web.Request, *, image: bool = False) -> None:
        headers = {h: request.headers[h] for h in RECORDED_HEADERS if h in request.headers}
        with self._lock:
            self.calls += 1
            self.calls_by_path[request.path] += 1
            if image:
                self.image_calls += 1
                self.image_calls_by_path[request.path] += 1
            self.requests.append(
                RecordedRequest(time.monotonic(), request.method, request.path_qs, headers)
            )

    def _take_mode(self) -> FailureMode:
        """The mode for this request, counting down ``times``."""
        with self._lock:
            mode = dataclasses.replace(self._mode)
            if self._mode.times is not None:
                self._mode.times -= 1
                if self._mode.times <= 0:
                    self._mode = FailureMode()
            return mode

    async def _misbehave(
        self, mode: FailureMode, request: web.Request, caller: Caller | None
    ) -> web.StreamResponse | None:
        """A failure answer for the current mode, or None to answer normally.

        ``caller`` is None for image fetches: their garbage claims to be a JPEG and their
        forced 429 carries no API rate-limit headers.
        """
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
        elif mode.name == "error":
            message = mode.message or SERVER_ERRORS.get(mode.status, "Internal server error.")
            return json_response({"message": message}, mode.status)
        elif mode.name == "garbage":
            content_type = "image/jpeg" if caller is None else "application/json"
            return web.Response(body=mode.body, status=200, content_type=content_type)
        elif mode.name == "ratelimited":
            if caller is None:
                headers = {"Retry-After": str(mode.retry_after)}
                return json_response({"message": IMAGE_TOO_QUICK}, 429, headers)
            return self._forced_rate_limit(mode, caller)
        elif mode.name == "drop":
            return await self._drop(request)
        return None

    def _forced_rate_limit(self, mode: FailureMode, caller: Caller) -> web.Response:
        limit = self.limiters[self._bucket(caller)].limit
        headers = Decision(False, limit, limit).headers() | {"Retry-After": str(mode.retry_after)}
        return json_response({"message": TOO_QUICK}, 429, headers)

    @staticmethod
    async def _drop(request: web.Request) -> web.StreamResponse:
        """Close the socket without a response; the client sees a disconnect."""
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError  # aiohttp ends the handler quietly; nothing is written

    # --- presentation -----------------------------------------------------------------

    def _present(self, doc: Any, ctx: RequestContext) -> Any:
        """The stored document as this caller should see it."""
        doc = rebase(doc, API_ROOT, ctx.base_url)
        if not ctx.authenticated:
            doc = without_images(doc)
        elif self.image_host is not None:
            relocate = functools.partial(self._image_url, base_url=ctx.base_url)
            doc = with_image_urls(doc, IMAGE_ROOT, relocate)
        return with_rendered_markup(doc, ctx.variant, self.catalogue.name_of, WEB_ROOT)

    def _ok(
        self, request: web.Request, doc: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        return json_response(self._present(doc, request[CONTEXT]), headers=headers)

    def _paged(
        self, request: web.Request, entries: list[Doc], key: str, extra: Doc | None = None
    ) -> web.Response:
        """One page of ``entries`` under ``key``, with ``pagination`` and a ``Link`` header."""
        ctx: RequestContext = request[CONTEXT]
        try:
            window = page_window(len(entries), parse_page_request(request.query))
        except PageOutOfRange:
            raise DiscogsError(404, PAGE_NOT_FOUND) from None
        urls = page_urls(ctx.base_url + request.path, list(request.query.items()), window)
        body: dict[str, Any] = {"pagination": pagination_block(window, urls)} | (extra or {})
        body[key] = entries[window.start : window.end]
        link = link_header(urls)
        return self._ok(request, body, {"Link": link} if link else None)

    @staticmethod
    def _lookup(table: dict[int, Doc], entity_id: int, kind: str) -> Doc:
        if entity_id not in table:
            raise DiscogsError(404, NOT_FOUND[kind])
        return table[entity_id]

    # --- Discogs endpoints ------------------------------------------------------------

    async def _root(self, request: web.Request) -> web.Response:
        return self._ok(
            request,
            {
                "hello": "Welcome to the Discogs API emulator.",
                "api_version": "v2",
                "documentation_url": "https://www.discogs.com/developers/",
                "statistics": self.catalogue.statistics(),
            },
        )

    async def _artist(self, request: web.Request) -> web.Response:
        artist_id = _entity_id(request, "artist_id")
        return self._ok(request, self._lookup(self.catalogue.artists, artist_id, "artist"))

    async def _artist_releases(self, request: web.Request) -> web.Response:
        artist_id = _entity_id(request, "artist_id")
        self._lookup(self.catalogue.artists, artist_id, "artist")
        entries = sort_entries(
            self.catalogue.artist_releases(artist_id),
            request.query.get("sort"),
            request.query.get("sort_order"),
            {
                "year": lambda e: e.get("year"),
                "title": lambda e: e.get("title"),
                "format": lambda e: e.get("format"),
            },
        )
        return self._paged(request, entries, "releases")

    async def _release(self, request: web.Request) -> web.Response:
        release_id = _entity_id(request, "release_id")
        release = self._lookup(self.catalogue.releases, release_id, "release")
        currency = request.query.get("curr_abbr")
        if currency:
            release = release | {"lowest_price": price_in(currency, release["lowest_price"])}
        return self._ok(request, release)

    async def _release_rating(self, request: web.Request) -> web.Response:
        release_id = _entity_id(request, "release_id")
        release = self._lookup(self.catalogue.releases, release_id, "release")
        rating = release["community"]["rating"]
        return self._ok(request, {"rating": dict(rating), "release_id": release_id})

    async def _release_user_rating(self, request: web.Request) -> web.Response:
        release_id = _entity_id(request, "release_id")
        self._lookup(self.catalogue.releases, release_id, "release")
        username = request.match_info["username"]
        if username not in self.catalogue.users:
            raise DiscogsError(404, USER_NOT_FOUND)
        rating = self.catalogue.user_ratings.get(username, {}).get(release_id, 0)
        return self._ok(request, {"username": username, "release_id": release_id, "rating": rating})

    async def _release_stats(self, request: web.Request) -> web.Response:
        release_id = _entity_id(request, "release_id")
        release = self._lookup(self.catalogue.releases, release_id, "release")
        if self.stats_style == "live":
            return self._ok(request, {"is_offensive": release["is_offensive"]})
        community = release["community"]
        return self._ok(request, {"num_have": community["have"], "num_want": community["want"]})

    async def _master(self, request: web.Request) -> web.Response:
        master_id = _entity_id(request, "master_id")
        return self._ok(request, self._lookup(self.catalogue.masters, master_id, "master"))

    async def _master_versions(self, request: web.Request) -> web.Response:
        master_id = _entity_id(request, "master_id")
        self._lookup(self.catalogue.masters, master_id, "master")
        applied = {k: request.query[k] for k in VERSION_FILTERS if request.query.get(k)}
        versions = filter_versions(self.catalogue.master_versions(master_id), applied)
        filters, facets = version_filters(versions, applied)
        versions = sort_entries(
            versions,
            request.query.get("sort"),
            request.query.get("sort_order"),
            {
                key: _field(key)
                for key in ("released", "title", "format", "label", "catno", "country")
            },
        )
        extra = {"filters": filters, "filter_facets": facets}
        return self._paged(request, versions, "versions", extra)

    async def _label(self, request: web.Request) -> web.Response:
        label_id = _entity_id(request, "label_id")
        return self._ok(request, self._lookup(self.catalogue.labels, label_id, "label"))

    async def _label_releases(self, request: web.Request) -> web.Response:
        label_id = _entity_id(request, "label_id")
        self._lookup(self.catalogue.labels, label_id, "label")
        return self._paged(request, self.catalogue.label_releases(label_id), "releases")

    async def _search(self, request: web.Request) -> web.Response:
        if not request[CONTEXT].authenticated:
            raise DiscogsError(401, AUTH_REQUIRED)
        filters = {
            k: v
            for k, v in request.query.items()
            if k not in ("page", "per_page", "token", "key", "secret")
        }
        return self._paged(request, search(self.catalogue.search_index, filters), "results")

    # --- the image host -----------------------------------------------------------------

    async def _image(self, request: web.Request) -> web.Response:
        """A signed image: 404 unless the signature matches the rest of the URL exactly."""
        signature = request.match_info["signature"]
        signed_part = request.match_info["signed_part"]
        spec = parse_signed_part(signed_part)
        if request.query_string or not self._image_signer.verify(signature, signed_part):
            spec = None
        if spec is None:
            return json_response({"message": IMAGE_NOT_FOUND}, 404)
        image = self._image_store.get(spec)
        headers = {"ETag": image.etag, "Cache-Control": IMAGE_CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match"), image.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=image.body, content_type="image/jpeg", headers=headers)

    # --- control endpoints (for tests running the emulator out of process) -------------

    async def _control_mode(self, request: web.Request) -> web.Response:
        try:
            options = await request.json()
            self.set_mode(options.pop("mode", "ok"), **options)
        except (TypeError, ValueError, AttributeError) as error:
            return json_response({"message": str(error)}, 400)
        return json_response({"mode": self.mode})

    async def _control_calls(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "calls": self.calls,
                "calls_by_path": dict(self.calls_by_path),
                "image_calls": self.image_calls,
                "image_calls_by_path": dict(self.image_calls_by_path),
                "mode": self.mode,
                "requests": [r._asdict() for r in self.requests],
            }
        )

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return json_response({"reset": True})


# --- running it from synchronous code ----------------------------------------------------


class Servable(Protocol):
    """Anything ``EmulatorThread`` can run: an emulator with ``serve(host, port)``."""

    def serve(
        self, host: str = ..., port: int = ...
    ) -> contextlib.AbstractAsyncContextManager[str]: ...


class EmulatorThread:
    """Run an emulator on its own event loop in a daemon thread.

    For synchronous fixtures and for tests whose client code blocks the test's own loop::

        with EmulatorThread(DiscogsEmulator()) as base_url:
            ...
    """

    def __init__(self, emulator: Servable, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.base_url: str | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="discogs-emulator", daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL once the socket is listening."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the Discogs emulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the Discogs emulator failed to start") from self._error
        assert self.base_url is not None
        return self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start(); the thread must not die silently
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.emulator.serve(self.host, self.port) as base_url:
            self.base_url = base_url
            self._ready.set()
            await self._stop.wait()


def _field(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda entry: entry.get(key)


def start_in_thread(
    emulator: Servable, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start ``emulator`` in a daemon thread; returns ``(base_url, stop)``."""
    runner = EmulatorThread(emulator, host, port)
    return runner.start(), runner.stop


# --- by hand ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.discogs --port 8765``."""
    parser = argparse.ArgumentParser(description="Run the Discogs API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate-limit", type=int, default=60)
    parser.add_argument("--anonymous-rate-limit", type=int, default=25)
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--token", action="append", help="valid personal token (repeatable)")
    parser.add_argument(
        "--image-host", choices=["self"], default=None, help="serve signed images at /img/"
    )
    parser.add_argument("--image-limit", type=int, default=1000)
    parser.add_argument("--image-window-seconds", type=float, default=86400.0)
    args = parser.parse_args(argv)
    emulator = DiscogsEmulator(
        rate_limit=args.rate_limit,
        anonymous_rate_limit=args.anonymous_rate_limit,
        window_seconds=args.window_seconds,
        tokens=set(args.token) if args.token else None,
        image_host=args.image_host,
        image_limit=args.image_limit,
        image_window_seconds=args.image_window_seconds,
    )
    print(f"Discogs emulator on http://{args.host}:{args.port} (token: {sorted(emulator.tokens)})")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
