"""An emulator of the Spotify Web API (the catalogue part) *and* of Spotify's accounts token
endpoint, both on one port, for sleeve's tests and its offline demo.

Spotify serves these from three hosts; the emulator answers all their paths itself:

- accounts.spotify.com: ``POST /api/token`` with ``grant_type=client_credentials`` and the
  app's id and secret (HTTP Basic, or ``client_id``/``client_secret`` in the form) answers
  ``{"access_token", "token_type": "Bearer", "expires_in"}``; errors are OAuth's
  ``{"error": …, "error_description": …}`` (400 ``invalid_client``, ``unsupported_grant_type``).
- api.spotify.com under ``/v1``: albums (one, several, their tracks), tracks (one,
  several, also ``/v1/tracks/?ids=`` as spotipy asks), artists (one, several, their albums,
  their top tracks), ``/v1/search`` with the field filters ``upc: isrc: artist: album:
  track: year: genre: tag:`` and ``/v1/markets``. Every request needs ``Authorization:
  Bearer <token>`` from the token endpoint; errors are ``{"error": {"status", "message"}}``.
  Past ``rate_limit`` requests per ``window_seconds`` (a rolling window, as Spotify
  describes its own; the real numbers are not published) it answers 429 with
  ``Retry-After`` in seconds. ``href``/``next``/``previous`` point at the emulator itself.
- i.scdn.co: ``/image/<id>`` with real JPEG bytes at the size the id's prefix names.

Usage from async tests::

    emulator = SpotifyEmulator()
    async with emulator.serve() as base_url:   # http://127.0.0.1:PORT
        token_url, api_url = f"{base_url}/api/token", f"{base_url}/v1"

``set_mode`` makes it misbehave like the other emulators (ok, delay, error, drop, garbage,
ratelimited), for the Web API by default or for ``target="accounts"`` / ``"images"``.
``expire_tokens()`` makes every token issued so far answer "The access token expired".
Out of process: ``python -m sleeve.emulators.spotify --port 8768``, controlled over
``/_emulator/mode``, ``/_emulator/calls``, ``/_emulator/reset`` and
``/_emulator/expire-tokens``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import json
import math
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .discogs import RecordedRequest
from .discogs_access import MovingWindowLimiter
from .discogs_images import ImageSpec, ImageStore, etag_matches
from .metabrainz_common import CallLog, CountedEmulator, ModeSwitch, drop
from .serving import serve_app
from .spotify_data import (
    ALBUM_IMAGE_SIZES,
    ARTIST_IMAGE_SIZES,
    IMAGE_SIZE_BY_PREFIX,
    MARKETS,
    SEARCH_TYPES,
    Album,
    Artist,
    Searcher,
    SpotifyCatalogue,
    Track,
    build_catalogue,
    is_spotify_id,
    parse_query,
)

API_PREFIX = "/v1"
TOKEN_PATH = "/api/token"
IMAGE_PREFIX = "/image/"
CONTROL_PREFIX = "/_emulator/"
OPEN_SPOTIFY = "https://open.spotify.com"  # external_urls: the web player, not an API host

DEFAULT_CLIENT_ID = "sample-spotify-id"
DEFAULT_CLIENT_SECRET = "sample-spotify-secret"
# Spotify limits each app over a rolling 30 s window without saying how many requests fit;
# 90 (about 3 a second) is an invented stand-in that real clients live with.
DEFAULT_RATE_LIMIT = 90
DEFAULT_WINDOW_SECONDS = 30.0
DEFAULT_TOKEN_LIFETIME = 3600

NO_TOKEN = "No token provided"
TOKEN_EXPIRED = "The access token expired"
INVALID_TOKEN = "Invalid access token"
BEARER_ONLY = "Only valid bearer authentication supported"
NOT_FOUND = "Resource not found"
NO_SUCH_SERVICE = "Service not found"
INVALID_ID = "invalid id"
TOO_MANY_IDS = "too many ids requested"
INVALID_LIMIT = "Invalid limit"
INVALID_OFFSET = "Invalid offset"
INVALID_MARKET = "Invalid market code"
NO_SEARCH_QUERY = "No search query"
MISSING_TYPE = "Missing parameter type"
BAD_TYPE = "Bad search type field"
RATE_LIMITED = "API rate limit exceeded"
SERVER_ERRORS = {500: "Server error", 502: "Bad gateway.", 503: "Service unavailable"}

INVALID_CLIENT = "Invalid client"
GRANT_MISSING = "grant_type parameter is missing"
GRANT_UNSUPPORTED = "grant_type must be client_credentials, authorization_code or refresh_token"
GRANT_NOT_EMULATED = "the emulator issues client_credentials tokens only"

MAX_ALBUM_IDS, MAX_IDS = 20, 50
DEFAULT_LIMIT, MAX_LIMIT = 20, 50
EMBEDDED_TRACKS_LIMIT = 50  # an album's own ``tracks`` page
MAX_SEARCH_OFFSET = 1000
TOP_TRACKS = 10
ALBUM_GROUPS = ("album", "single", "compilation", "appears_on")
API_CACHE_CONTROL = "private, max-age=0"  # what api.spotify.com sends
IMAGE_CACHE_CONTROL = "public, max-age=31536000"
JPEG_QUALITY = 85
_IMAGE_ID = re.compile(r"(?P<prefix>[0-9a-f]{16})(?P<hash>[0-9a-f]{40})")
_MARKET = re.compile(r"[A-Za-z]{2}")
TARGETS = ("api", "accounts", "images")

Doc = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SpotifyError(Exception):
    """A Web API error answer: status plus ``{"error": {"status", "message"}}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class OAuthError(Exception):
    """An accounts-service error answer: ``{"error": code, "error_description": …}``."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


def json_response(
    doc: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON as Spotify sends it: ``application/json; charset=utf-8``."""
    body = json.dumps(doc, ensure_ascii=False).encode()
    return web.Response(
        body=body, status=status, headers=headers, content_type="application/json", charset="utf-8"
    )


def api_error_response(error: SpotifyError) -> web.Response:
    body = {"error": {"status": error.status, "message": error.message}}
    return json_response(body, error.status, {"Cache-Control": API_CACHE_CONTROL} | error.headers)


def oauth_error_response(error: OAuthError) -> web.Response:
    body = {"error": error.code, "error_description": error.description}
    return json_response(body, error.status)


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """``Basic base64(id:secret)`` → (id, secret); None for anything else."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


# --- access tokens ----------------------------------------------------------------------------


class TokenStore:
    """Issued access tokens and when each stops being valid (monotonic seconds).

    Expired tokens are remembered, so they are told apart from tokens never issued, as
    Spotify tells "The access token expired" from "Invalid access token"."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = "BQ" + secrets.token_urlsafe(84)  # Spotify's tokens start "BQ", ~115 chars
        with self._lock:
            self._expiry[token] = self._clock() + self.lifetime
        return token

    def problem(self, token: str) -> str | None:
        """Why ``token`` is refused (a Spotify message), or None if it is valid."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return INVALID_TOKEN
        return TOKEN_EXPIRED if self._clock() >= expiry else None

    def expire_all(self) -> None:
        with self._lock:
            for token in self._expiry:
                self._expiry[token] = -math.inf

    def __len__(self) -> int:
        return len(self._expiry)


# --- query parameters -----------------------------------------------------------------------


def _int_param(query: Mapping[str, str], name: str, default: int, message: str) -> int:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SpotifyError(400, message) from None


def page_params(query: Mapping[str, str], *, max_offset: int | None = None) -> tuple[int, int]:
    """``limit`` (1-50, default 20) and ``offset`` (>= 0); out of range is a 400."""
    limit = _int_param(query, "limit", DEFAULT_LIMIT, INVALID_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise SpotifyError(400, INVALID_LIMIT)
    offset = _int_param(query, "offset", 0, INVALID_OFFSET)
    if offset < 0 or (max_offset is not None and offset > max_offset):
        raise SpotifyError(400, INVALID_OFFSET)
    return limit, offset


def market_param(query: Mapping[str, str]) -> str | None:
    """An ISO 3166-1 alpha-2 code, or None for no market. ``from_token`` means the user's
    country; a client-credentials token has no user, so it is taken as no market."""
    market = query.get("market")
    if market is None or market == "" or market == "from_token":
        return None
    if not _MARKET.fullmatch(market):
        raise SpotifyError(400, INVALID_MARKET)
    return market.upper()


def check_id(value: str) -> str:
    if not is_spotify_id(value):
        raise SpotifyError(400, INVALID_ID)
    return value


def ids_param(query: Mapping[str, str], maximum: int) -> list[str]:
    """The comma-separated ``ids`` (at most ``maximum``), each a well-formed id."""
    ids = [part.strip() for part in query.get("ids", "").split(",")]
    if len(ids) > maximum:
        raise SpotifyError(400, TOO_MANY_IDS)
    return [check_id(i) for i in ids]


# --- representations ------------------------------------------------------------------------


class Shapes:
    """Spotify's JSON objects for one answer: absolute links on ``base_url``; with a
    ``market``, ``is_playable`` instead of ``available_markets`` (as Spotify does)."""

    def __init__(self, catalogue: SpotifyCatalogue, base_url: str, market: str | None) -> None:
        self.catalogue = catalogue
        self.base_url = base_url
        self.market = market

    def api_url(self, path: str, params: Iterable[tuple[str, object]] = ()) -> str:
        query = urlencode([(k, v) for k, v in params if v is not None], safe=",")
        return f"{self.base_url}{API_PREFIX}{path}" + (f"?{query}" if query else "")

    def _links(self, kind: str, item_id: str) -> Doc:
        return {
            "external_urls": {"spotify": f"{OPEN_SPOTIFY}/{kind}/{item_id}"},
            "href": self.api_url(f"/{kind}s/{item_id}"),
            "id": item_id,
        }

    def _images(self, picture: str, sizes: tuple[tuple[str, int], ...]) -> list[Doc]:
        return [
            {"url": f"{self.base_url}{IMAGE_PREFIX}{prefix}{picture}", "height": px, "width": px}
            for prefix, px in sizes
        ]

    def available(self, album: Album) -> bool:
        return self.market is None or self.market in album.markets

    def _availability(self, album: Album) -> Doc:
        if self.market is None:
            return {"available_markets": list(album.markets)}
        return {"is_playable": self.market in album.markets}

    def _track_availability(self, album: Album) -> Doc:
        doc = self._availability(album)
        if doc.get("is_playable") is False:
            doc["restrictions"] = {"reason": "market"}
        return doc

    def simplified_artist(self, artist_id: str) -> Doc:
        artist = self.catalogue.artists[artist_id]
        return self._links("artist", artist.id) | {
            "name": artist.name,
            "type": "artist",
            "uri": f"spotify:artist:{artist.id}",
        }

    def artist(self, artist: Artist) -> Doc:
        return {
            "external_urls": {"spotify": f"{OPEN_SPOTIFY}/artist/{artist.id}"},
            "followers": {"href": None, "total": artist.followers},
            "genres": list(artist.genres),
            "href": self.api_url(f"/artists/{artist.id}"),
            "id": artist.id,
            "images": self._images(artist.image, ARTIST_IMAGE_SIZES),
            "name": artist.name,
            "popularity": artist.popularity,
            "type": "artist",
            "uri": f"spotify:artist:{artist.id}",
        }

    def simplified_album(self, album: Album) -> Doc:
        return (
            {"album_type": album.album_type, "total_tracks": len(album.track_ids)}
            | self._availability(album)
            | self._links("album", album.id)
            | {
                "images": self._images(album.image, ALBUM_IMAGE_SIZES),
                "name": album.name,
                "release_date": album.release_date,
                "release_date_precision": album.release_date_precision,
                "type": "album",
                "uri": f"spotify:album:{album.id}",
                "artists": [self.simplified_artist(a) for a in album.artist_ids],
            }
        )

    def album(self, album: Album) -> Doc:
        tracks = [self.catalogue.tracks[t] for t in album.track_ids]
        page = self.paging(
            [self.simplified_track(t) for t in tracks[:EMBEDDED_TRACKS_LIMIT]],
            len(tracks),
            EMBEDDED_TRACKS_LIMIT,
            0,
            f"/albums/{album.id}/tracks",
        )
        return self.simplified_album(album) | {
            "tracks": page,
            "copyrights": album.copyrights,
            "external_ids": {"upc": album.upc},
            "genres": [],  # Spotify's albums carry none any more
            "label": album.label,
            "popularity": album.popularity,
        }

    def simplified_track(self, track: Track) -> Doc:
        album = self.catalogue.albums[track.album_id]
        return (
            {"artists": [self.simplified_artist(a) for a in track.artist_ids]}
            | self._track_availability(album)
            | {
                "disc_number": track.disc_number,
                "duration_ms": track.duration_ms,
                "explicit": track.explicit,
            }
            | self._links("track", track.id)
            | {
                "is_local": False,
                "name": track.name,
                "preview_url": None,  # Spotify no longer gives previews to new apps
                "track_number": track.track_number,
                "type": "track",
                "uri": f"spotify:track:{track.id}",
            }
        )

    def track(self, track: Track) -> Doc:
        album = self.catalogue.albums[track.album_id]
        doc: Doc = {"album": self.simplified_album(album)} | self.simplified_track(track)
        doc["external_ids"] = {"isrc": track.isrc}
        doc["popularity"] = track.popularity
        return doc

    def paging(
        self,
        items: list[Doc],
        total: int,
        limit: int,
        offset: int,
        path: str,
        extra: Iterable[tuple[str, object]] = (),
    ) -> Doc:
        """A paging object whose ``href``/``next``/``previous`` keep the other parameters."""
        extra = [*extra, ("market", self.market)]

        def link(at: int) -> str:
            return self.api_url(path, [("offset", at), ("limit", limit), *extra])

        return {
            "href": link(offset),
            "items": items,
            "limit": limit,
            "next": link(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }


# --- the emulator ---------------------------------------------------------------------------


class SpotifyEmulator(CountedEmulator):
    """State (catalogue, app credentials, tokens, counters, modes, rate limit, rendered
    images) and the app serving the accounts, Web API and image paths."""

    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME,
        *,
        catalogue: SpotifyCatalogue | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.catalogue = catalogue or build_catalogue()
        self.searcher = Searcher(self.catalogue)
        self.limiter = MovingWindowLimiter(rate_limit, window_seconds)
        self.tokens = TokenStore(token_lifetime)
        self._log = CallLog()
        self._token_log = CallLog()
        self._image_log = CallLog()
        self._modes = {target: ModeSwitch(default_status=503) for target in TARGETS}
        self._images = ImageStore()
        self._pictures = self.catalogue.image_hashes()

    # --- counters and settings ----------------------------------------------------------

    @property
    def token_calls(self) -> int:
        """Requests to the token endpoint, counted apart from the Web API's."""
        return self._token_log.calls

    @property
    def token_requests(self) -> list[RecordedRequest]:
        return self._token_log.requests

    @property
    def image_calls(self) -> int:
        return self._image_log.calls

    @property
    def image_calls_by_path(self) -> Counter[str]:
        return self._image_log.calls_by_path

    @property
    def rate_limit(self) -> int:
        return self.limiter.limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        self.limiter.limit = value

    @property
    def window_seconds(self) -> float:
        return self.limiter.window_seconds

    @window_seconds.setter
    def window_seconds(self, value: float) -> None:
        self.limiter.window_seconds = value

    @property
    def token_lifetime(self) -> float:
        return self.tokens.lifetime

    @token_lifetime.setter
    def token_lifetime(self, value: float) -> None:
        self.tokens.lifetime = value  # for tokens issued from now on

    def set_mode(
        self, mode: str, *, times: int | None = None, target: str = "api", **options: Any
    ) -> None:
        """Switch behaviour of the Web API (``target="api"``), the token endpoint
        (``"accounts"``) or the image host (``"images"``): ``ok``, ``delay`` (``seconds``),
        ``error`` (``status``, default 503, ``message``), ``drop``, ``garbage`` (``body``),
        ``ratelimited`` (a 429 with ``Retry-After: retry_after``). ``times=N``: the next N
        requests to that target."""
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")
        self._modes[target].set(mode, times=times, **options)

    @property
    def mode(self) -> str:
        """The Web API's mode (see ``modes`` for all three)."""
        return self._modes["api"].name

    @property
    def modes(self) -> dict[str, str]:
        return {target: switch.name for target, switch in self._modes.items()}

    def issue_token(self) -> str:
        """A valid access token, as the token endpoint would give (not counted as a call)."""
        return self.tokens.issue()

    def expire_tokens(self) -> None:
        """Make every token issued so far answer 401 "The access token expired"."""
        self.tokens.expire_all()

    def reset(self) -> None:
        """Forget calls, rate-limit windows and failure modes. Settings and issued tokens
        stay (a gateway holding a token keeps it across tests; expired ones stay expired)."""
        for log in (self._log, self._token_log, self._image_log):
            log.clear()
        for switch in self._modes.values():
            switch.reset()
        self.limiter.clear()

    # --- app ----------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post(TOKEN_PATH, self._token)
        routes: list[tuple[str, Handler]] = [
            ("/albums/{id}", self._album),
            ("/albums/{id}/tracks", self._album_tracks),
            ("/tracks/{id}", self._track),
            ("/artists/{id}", self._artist),
            ("/artists/{id}/albums", self._artist_albums),
            ("/artists/{id}/top-tracks", self._top_tracks),
            ("/markets", self._markets),
        ]
        collections: list[tuple[str, Handler]] = [
            ("/albums", self._albums),
            ("/tracks", self._tracks),
            ("/artists", self._artists),
            ("/search", self._search),
        ]
        for collection, listing in collections:  # also with a slash: spotipy asks /tracks/?ids=
            routes += [(collection, listing), (collection + "/", listing)]
        for path, handler in routes:
            app.router.add_get(API_PREFIX + path, handler)
        app.router.add_get(IMAGE_PREFIX + "{image_id}", self._image)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        app.router.add_post(CONTROL_PREFIX + "expire-tokens", self._control_expire)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run on ``host:port`` (0 = any free port); yields the base URL (token endpoint at
        ``{base}/api/token``, Web API under ``{base}/v1``)."""
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    # --- the request pipeline -----------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(CONTROL_PREFIX):
            return await handler(request)
        if path == TOKEN_PATH:
            return await self._accounts_pipeline(request, handler)
        if path.startswith(IMAGE_PREFIX):
            return await self._image_pipeline(request, handler)
        return await self._api_pipeline(request, handler)

    async def _failure(self, request: web.Request, target: str) -> web.StreamResponse | None:
        """The answer the target's failure mode gives instead of the real one, if any."""
        mode = self._modes[target].take()
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
            return None
        if mode.name == "drop":
            return await drop(request)
        if mode.name == "garbage":
            content_type = "image/jpeg" if target == "images" else "application/json"
            return web.Response(body=mode.body, content_type=content_type)
        if mode.name not in ("error", "ratelimited"):
            return None
        status = 429 if mode.name == "ratelimited" else mode.status
        message = RATE_LIMITED if status == 429 else mode.message
        message = message or SERVER_ERRORS.get(status, "Server error")
        headers = {"Retry-After": str(mode.retry_after)} if status == 429 else {}
        if target == "accounts":
            response = oauth_error_response(OAuthError("server_error", message, status))
            response.headers.update(headers)
            return response
        if target == "images":
            return web.Response(status=status, text=message, headers=headers)
        return api_error_response(SpotifyError(status, message, headers))

    async def _api_pipeline(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._log.record(request)
        failure = await self._failure(request, "api")
        if failure is not None:
            return failure
        try:
            routing_error = request.match_info.http_exception
            if isinstance(routing_error, web.HTTPMethodNotAllowed):
                raise SpotifyError(405, "Method not allowed", {"Allow": "GET, HEAD"})
            if routing_error is not None:
                raise SpotifyError(404, NO_SUCH_SERVICE)
            self._authorize(request.headers.get("Authorization"))
            decision = self.limiter.acquire()
            if not decision.allowed:
                raise SpotifyError(429, RATE_LIMITED, {"Retry-After": str(decision.retry_after)})
            response = await handler(request)
        except SpotifyError as error:
            return api_error_response(error)
        response.headers.setdefault("Cache-Control", API_CACHE_CONTROL)
        return response

    def _authorize(self, authorization: str | None) -> None:
        """Bearer tokens issued by the token endpoint, unexpired, and nothing else."""
        if not authorization or not authorization.strip():
            raise SpotifyError(401, NO_TOKEN)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise SpotifyError(400, BEARER_ONLY)
        problem = self.tokens.problem(token.strip())
        if problem is not None:
            challenge = (
                f'Bearer realm="spotify", error="invalid_token", error_description="{problem}"'
            )
            raise SpotifyError(401, problem, {"WWW-Authenticate": challenge})

    async def _accounts_pipeline(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        self._token_log.record(request)
        failure = await self._failure(request, "accounts")
        if failure is not None:
            return failure
        if request.match_info.http_exception is not None:
            error = OAuthError("invalid_request", "Method not allowed; POST the form", 405)
            response = oauth_error_response(error)
            response.headers["Allow"] = "POST"
            return response
        try:
            return await handler(request)
        except OAuthError as error:
            return oauth_error_response(error)

    async def _image_pipeline(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._image_log.record(request)
        failure = await self._failure(request, "images")
        if failure is not None:
            return failure
        if request.match_info.http_exception is not None:
            return web.Response(status=404, text="Not Found")
        return await handler(request)

    def _shapes(self, request: web.Request) -> Shapes:
        base_url = f"{request.scheme}://{request.host}"
        return Shapes(self.catalogue, base_url, market_param(request.query))

    # --- accounts -----------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("unsupported_grant_type", GRANT_MISSING)
        credentials = basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            if isinstance(client_id, str) and isinstance(client_secret, str):
                credentials = (client_id, client_secret)
        if credentials != (self.client_id, self.client_secret):
            raise OAuthError("invalid_client", INVALID_CLIENT)
        if grant_type != "client_credentials":
            known = grant_type in ("authorization_code", "refresh_token")
            description = GRANT_NOT_EMULATED if known else GRANT_UNSUPPORTED
            raise OAuthError("unsupported_grant_type", description)
        body = {
            "access_token": self.tokens.issue(),
            "token_type": "Bearer",
            "expires_in": math.ceil(self.tokens.lifetime),
        }
        return json_response(body, headers={"Cache-Control": "no-store"})

    # --- Web API endpoints --------------------------------------------------------------

    def _get_album(self, album_id: str) -> Album:
        album = self.catalogue.albums.get(check_id(album_id))
        if album is None:
            raise SpotifyError(404, NOT_FOUND)
        return album

    def _get_artist(self, artist_id: str) -> Artist:
        artist = self.catalogue.artists.get(check_id(artist_id))
        if artist is None:
            raise SpotifyError(404, NOT_FOUND)
        return artist

    async def _album(self, request: web.Request) -> web.Response:
        album = self._get_album(request.match_info["id"])
        return json_response(self._shapes(request).album(album))

    async def _albums(self, request: web.Request) -> web.Response:
        shapes = self._shapes(request)
        ids = ids_param(request.query, MAX_ALBUM_IDS)
        albums = [self.catalogue.albums.get(i) for i in ids]
        return json_response({"albums": [shapes.album(a) if a else None for a in albums]})

    async def _album_tracks(self, request: web.Request) -> web.Response:
        shapes = self._shapes(request)
        album = self._get_album(request.match_info["id"])
        limit, offset = page_params(request.query)
        tracks = [self.catalogue.tracks[t] for t in album.track_ids]
        items = [shapes.simplified_track(t) for t in tracks[offset : offset + limit]]
        path = f"/albums/{album.id}/tracks"
        return json_response(shapes.paging(items, len(tracks), limit, offset, path))

    async def _track(self, request: web.Request) -> web.Response:
        shapes = self._shapes(request)
        track = self.catalogue.tracks.get(check_id(request.match_info["id"]))
        if track is None:
            raise SpotifyError(404, NOT_FOUND)
        return json_response(shapes.track(track))

    async def _tracks(self, request: web.Request) -> web.Response:
        shapes = self._shapes(request)
        tracks = [self.catalogue.tracks.get(i) for i in ids_param(request.query, MAX_IDS)]
        return json_response({"tracks": [shapes.track(t) if t else None for t in tracks]})

    async def _artist(self, request: web.Request) -> web.Response:
        artist = self._get_artist(request.match_info["id"])
        return json_response(self._shapes(request).artist(artist))

    async def _artists(self, request: web.Request) -> web.Response:
        shapes = self._shapes(request)
        artists = [self.catalogue.artists.get(i) for i in ids_param(request.query, MAX_IDS)]
        return json_response({"artists": [shapes.artist(a) if a else None for a in artists]})

    def _album_group(self, album: Album, artist_id: str) -> str:
        return album.album_type if artist_id in album.artist_ids else "appears_on"

    async def _artist_albums(self, request: web.Request) -> web.Response:
        """Newest first; ``include_groups`` keeps the named groups (unknown names are
        ignored); with a market, only albums available there."""
        shapes = self._shapes(request)
        artist = self._get_artist(request.match_info["id"])
        limit, offset = page_params(request.query)
        raw_groups = request.query.get("include_groups")
        groups = [g for g in (raw_groups or "").split(",") if g in ALBUM_GROUPS]
        albums = [
            a
            for a in self.catalogue.artist_albums(artist.id)
            if shapes.available(a) and (not groups or self._album_group(a, artist.id) in groups)
        ]
        albums.sort(key=lambda a: a.release_date, reverse=True)
        items = [
            shapes.simplified_album(a) | {"album_group": self._album_group(a, artist.id)}
            for a in albums[offset : offset + limit]
        ]
        extra = [("include_groups", ",".join(groups) if groups else None)]
        path = f"/artists/{artist.id}/albums"
        return json_response(shapes.paging(items, len(albums), limit, offset, path, extra))

    async def _top_tracks(self, request: web.Request) -> web.Response:
        """The artist's most popular tracks (up to 10), playable in ``market`` if given."""
        shapes = self._shapes(request)
        artist = self._get_artist(request.match_info["id"])
        tracks = [
            t
            for t in self.catalogue.artist_tracks(artist.id)
            if shapes.available(self.catalogue.albums[t.album_id])
        ]
        tracks.sort(key=lambda t: -t.popularity)
        return json_response({"tracks": [shapes.track(t) for t in tracks[:TOP_TRACKS]]})

    async def _markets(self, request: web.Request) -> web.Response:
        return json_response({"markets": list(MARKETS)})

    async def _search(self, request: web.Request) -> web.Response:
        """``q`` (or ``query``, which the answer's own links use), ``type`` (comma-separated),
        ``market``, ``limit`` and ``offset`` (at most 1000); one paging object per type."""
        shapes = self._shapes(request)
        q = request.query.get("q", request.query.get("query", "")).strip()
        if not q:
            raise SpotifyError(400, NO_SEARCH_QUERY)
        raw_types = request.query.get("type", "")
        if not raw_types:
            raise SpotifyError(400, MISSING_TYPE)
        types = [t.strip() for t in raw_types.split(",")]
        for kind in types:
            if kind not in SEARCH_TYPES:
                raise SpotifyError(400, f"{BAD_TYPE} {kind}")
        limit, offset = page_params(request.query, max_offset=MAX_SEARCH_OFFSET)
        query = parse_query(q)
        body: Doc = {}
        for kind in dict.fromkeys(types):
            found = self._available_hits(shapes, kind, self.searcher.search(kind, query))
            items = [self._search_item(shapes, kind, i) for i in found[offset : offset + limit]]
            extra = [("query", q), ("type", kind)]
            body[f"{kind}s"] = shapes.paging(items, len(found), limit, offset, "/search", extra)
        return json_response(body)

    def _available_hits(self, shapes: Shapes, kind: str, ids: list[str]) -> list[str]:
        """With a market, search finds only what is available there."""
        if kind == "album":
            return [i for i in ids if shapes.available(self.catalogue.albums[i])]
        if kind == "track":
            albums = self.catalogue.albums
            return [i for i in ids if shapes.available(albums[self.catalogue.tracks[i].album_id])]
        return ids

    def _search_item(self, shapes: Shapes, kind: str, item_id: str) -> Doc:
        if kind == "album":
            return shapes.simplified_album(self.catalogue.albums[item_id])
        if kind == "artist":
            return shapes.artist(self.catalogue.artists[item_id])
        return shapes.track(self.catalogue.tracks[item_id])

    # --- the image host -----------------------------------------------------------------

    async def _image(self, request: web.Request) -> web.Response:
        """``/image/<size prefix><picture hash>``: a JPEG of that size, or 404."""
        match = _IMAGE_ID.fullmatch(request.match_info["image_id"])
        if match is None or match["prefix"] not in IMAGE_SIZE_BY_PREFIX:
            return web.Response(status=404, text="Not Found")
        if match["hash"] not in self._pictures:
            return web.Response(status=404, text="Not Found")
        px = IMAGE_SIZE_BY_PREFIX[match["prefix"]]
        rendered = self._images.get(ImageSpec(f"spotify:{match['hash']}", px, px, JPEG_QUALITY))
        headers = {"ETag": rendered.etag, "Cache-Control": IMAGE_CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=rendered.body, content_type="image/jpeg", headers=headers)

    # --- control endpoints (for tests running the emulator out of process) -------------

    def _mode_state(self) -> dict[str, object]:
        return {"modes": self.modes}

    async def _control_calls(self, request: web.Request) -> web.Response:
        tokens, images = self._token_log.as_json(), self._image_log.as_json()
        return web.json_response(
            self._log.as_json()
            | {
                "token_calls": tokens["calls"],
                "token_requests": tokens["requests"],
                "image_calls": images["calls"],
                "image_calls_by_path": images["calls_by_path"],
                "mode": self.mode,
                "modes": self.modes,
            }
        )

    async def _control_expire(self, request: web.Request) -> web.Response:
        self.expire_tokens()
        return web.json_response({"expired": len(self.tokens)})


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.spotify --port 8768``."""
    parser = argparse.ArgumentParser(description="Run the Spotify Web API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT)
    parser.add_argument("--window-seconds", type=float, default=DEFAULT_WINDOW_SECONDS)
    parser.add_argument("--token-lifetime", type=float, default=DEFAULT_TOKEN_LIFETIME)
    args = parser.parse_args(argv)
    emulator = SpotifyEmulator(
        args.client_id,
        args.client_secret,
        rate_limit=args.rate_limit,
        window_seconds=args.window_seconds,
        token_lifetime=args.token_lifetime,
    )
    base = f"http://{args.host}:{args.port}"
    print(f"Spotify emulator on {base}: token endpoint {base}{TOKEN_PATH}, API {base}{API_PREFIX}")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
