"""An emulator of TIDAL's official API (``https://openapi.tidal.com/v2``) and of its token
endpoint (``https://auth.tidal.com/v1/oauth2/token``), both on one port, for sleeve's tests
and offline demo.

Shapes follow the TIDAL API reference (OpenAPI 1.10.104, August 2026, as shipped in
tidal-music/tidal-sdk-web) and answers recorded from the live service by harmony
(kellnerd/harmony ``testdata``):

- ``POST /v1/oauth2/token``: ``grant_type=client_credentials``, the client authenticated by
  HTTP Basic or by ``client_id``/``client_secret`` in the form (the official SDK does the
  latter); answers ``{access_token, token_type: "Bearer", expires_in, scope: ""}``.
- JSON:API under ``/v2`` (``application/vnd.api+json``): ``/albums``, ``/tracks``,
  ``/artists``, ``/artworks`` (single and ``filter[…]`` collections), ``/providers/{id}``,
  ``/{type}/{id}/relationships/{name}`` (paged, ``page[cursor]``, ``links.next``),
  ``/searchResults?filter[query]=`` (the current form) and ``/searchResults/{query}``
  (deprecated in 1.10.96, gone from the reference in 1.10.97; still answered here).
- ``include`` as the reference describes it: comma-separated or repeated, dotted paths
  (``items.artists``), type qualifiers (``items.tracks:albums``), validated (400 for a path
  that does not resolve, deeper than 3, or naming more than 10 resources); a resource's
  ``relationships`` holds only the relationships the request named.
- Errors as JSON:API error documents; 400 for a bad parameter (``countryCode`` is required
  unless ``require_country_code=False``: the reference has marked it optional since 1.0.34,
  but says nothing of what a client-credentials call without it gets), 401 without a valid
  bearer token, 404, 405, 406, and 429 with ``Retry-After`` past ``rate_limit`` requests per
  ``window_seconds`` (moving window).

Limits are not published. Defaults: 2 per 10 s, what harmony saw (``x-ratelimit-burst-
capacity: 10``, ``-requested-tokens: 5``, ``-replenish-rate: 1`` a second, so a burst of 2
and one request per 5 s after) and now paces itself to. Answers carry ``X-RateLimit-
Remaining``, ``-Burst-Capacity`` and ``-Requested-Tokens`` counted in requests, not TIDAL's
tokens.

Artwork ``files`` point at the emulator itself (``/images/…/{w}x{h}.jpg``, the CDN's path
form) and are served as real JPEGs, without auth or limit, counted apart (``image_calls``).

Links are absolute on the emulator's base URL (``http://127.0.0.1:PORT/v2/…``) by default;
the live service answers paths relative to ``/v2`` (``/albums/1/relationships/items?…``),
which ``absolute_links=False`` reproduces.

Usage::

    emulator = TidalEmulator()
    with EmulatorThread(emulator) as base_url:   # token at {base_url}/v1/oauth2/token
        ...                                      # API under {base_url}/v2
    assert emulator.token_calls == 1

``set_mode`` makes the API misbehave (ok, delay, error, drop, garbage, ratelimited);
``set_token_mode`` does the same to the token endpoint. Out of process:
``python -m sleeve.emulators.tidal --port 8768``, controlled over ``/_emulator/mode``,
``/_emulator/calls``, ``/_emulator/reset`` and ``/_emulator/expire-tokens``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from .discogs import FailureMode, RecordedRequest
from .discogs_access import Decision, MovingWindowLimiter
from .discogs_images import ImageSpec, ImageStore, etag_matches
from .metabrainz_common import CallLog, CountedEmulator, ModeSwitch, drop
from .serving import serve_app
from .tidal_data import TidalCatalogue, build_catalogue

API_PREFIX = "/v2"
TOKEN_PATH = "/v1/oauth2/token"
IMAGE_PREFIX = "/images/"
CONTROL_PREFIX = "/_emulator/"
JSON_API = "application/vnd.api+json"
PAGE_SIZE = 20  # what the live service pages album items by
MAX_FILTER_VALUES = 20  # a guess: third-party notes say "most endpoints support max 20"
MAX_INCLUDE_DEPTH = 3  # the reference's defaults
MAX_INCLUDE_PATHS = 10
MAX_QUERY_LENGTH = 256
TOP_HITS = 5
JPEG_QUALITY = 90
IMAGE_CACHE_CONTROL = "public, max-age=31536000"
SEARCH_ID_PREFIX = "sr1."  # opaque searchResults ids are this plus the query, base64url
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_IMAGE = re.compile(
    r"(?P<path>[0-9a-f]{8}(?:/[0-9a-f]{4}){3}/[0-9a-f]{12})/(?P<w>\d+)x(?P<h>\d+)\.jpg"
)

# Every relationship the reference documents per resource type; the ones in TARGETS have
# data here, the others answer empty (``[]``, or ``null`` for the to-one ones in TO_ONE).
# fmt: off
RELATIONSHIPS: dict[str, tuple[str, ...]] = {
    "albums": (
        "albumStatistics", "artists", "coverArt", "genres", "items", "owners", "priceConfig",
        "providers", "replacement", "shares", "similarAlbums", "suggestedCoverArts",
        "usageRules",
    ),
    "tracks": (
        "albums", "artists", "credits", "download", "genres", "lyrics", "metadataStatus",
        "owners", "priceConfig", "providers", "radio", "replacement", "shares", "similarTracks",
        "sourceFile", "suggestedTracks", "trackStatistics", "usageRules",
    ),
    "artists": (
        "albums", "biography", "claimStatus", "followers", "following", "owners", "profileArt",
        "radio", "roles", "similarArtists", "trackProviders", "tracks", "videos",
    ),
    "searchResults": ("albums", "artists", "playlists", "topHits", "tracks", "videos"),
    "artworks": ("owners",),
    "providers": (),
    "videos": (
        "albums", "artists", "credits", "providers", "replacement", "similarVideos",
        "suggestedVideos", "thumbnailArt", "usageRules",
    ),
    "playlists": (
        "collaboratorProfiles", "collaborators", "coverArt", "items", "ownerProfiles", "owners",
        "suggestedCoverArts",
    ),
}
TO_ONE = frozenset({
    "albumStatistics", "biography", "claimStatus", "download", "metadataStatus", "priceConfig",
    "replacement", "sourceFile", "trackStatistics", "usageRules",
})
# fmt: on
TARGETS: dict[tuple[str, str], frozenset[str]] = {
    ("albums", "artists"): frozenset({"artists"}),
    ("albums", "items"): frozenset({"tracks", "videos"}),
    ("albums", "coverArt"): frozenset({"artworks"}),
    ("albums", "providers"): frozenset({"providers"}),
    ("tracks", "albums"): frozenset({"albums"}),
    ("tracks", "artists"): frozenset({"artists"}),
    ("tracks", "providers"): frozenset({"providers"}),
    ("artists", "albums"): frozenset({"albums"}),
    ("artists", "tracks"): frozenset({"tracks"}),
    ("artists", "profileArt"): frozenset({"artworks"}),
    ("searchResults", "albums"): frozenset({"albums"}),
    ("searchResults", "artists"): frozenset({"artists"}),
    ("searchResults", "tracks"): frozenset({"tracks"}),
    ("searchResults", "topHits"): frozenset({"albums", "artists", "tracks", "playlists", "videos"}),
}
FILTERS = {
    "albums": ("barcodeId", "id", "owners.id"),
    "tracks": ("id", "isrc", "owners.id"),
    "artists": ("handle", "id", "owners.id"),
    "artworks": ("id",),
}
SORTS = {kind: ("createdAt", "-createdAt", "title", "-title") for kind in ("albums", "tracks")}
NO_COUNTRY = frozenset({"providers"})  # the reference gives /providers/{id} no countryCode

Ref = tuple[str, str]  # (type, id)
Doc = dict[str, Any]

# --- errors ---------------------------------------------------------------------------------

CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}
DETAILS = {  # the reference's example details
    400: "Invalid request",
    404: "Resource not found",
    405: "HTTP method not allowed",
    406: "No acceptable response media type",
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
}
MISSING_PARAMETER = "MISSING_PARAMETER"
INVALID_PARAMETER = "INVALID_PARAMETER"
NO_TOKEN = "An access token is required: send Authorization: Bearer <token>"
BAD_TOKEN = "The access token is not valid"
EXPIRED_TOKEN = "The access token has expired"


def category(status: int) -> str:
    """``meta.category``: harmony tells v2 errors by it; ``API_ERROR`` was seen live, the
    other names are guesses."""
    if status == 401:
        return "AUTHENTICATION_ERROR"
    if status == 429:
        return "RATE_LIMIT_ERROR"
    return "INVALID_REQUEST_ERROR" if status < 500 else "API_ERROR"


class TidalError(Exception):
    """An error answer: one JSON:API error object, plus response headers."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        code: str | None = None,
        parameter: str | None = None,
        header: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or DETAILS.get(status, ""))
        self.status = status
        self.detail = detail or DETAILS.get(status, "Error")
        self.code = code or CODES.get(status, "ERROR")
        self.parameter = parameter
        self.header = header
        self.headers = headers or {}

    def document(self) -> Doc:
        error: Doc = {
            "id": str(uuid.uuid4()),
            "status": str(self.status),
            "code": self.code,
            "detail": self.detail,
        }
        source = {k: v for k, v in (("parameter", self.parameter), ("header", self.header)) if v}
        if source:
            error["source"] = source
        error["meta"] = {"category": category(self.status)}
        return {"errors": [error]}


def bad_parameter(parameter: str, detail: str, code: str = INVALID_PARAMETER) -> TidalError:
    return TidalError(400, detail, code=code, parameter=parameter)


def json_api(doc: Doc, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON:API wants its media type without parameters, so no ``charset``."""
    body = json.dumps(doc, ensure_ascii=False).encode()
    return web.Response(body=body, status=status, content_type=JSON_API, headers=headers)


def error_response(error: TidalError) -> web.Response:
    return json_api(error.document(), error.status, error.headers)


class OAuthError(Exception):
    """A token endpoint error, in the auth service's own (non-JSON:API) shape."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}

    def response(self) -> web.Response:
        # sub_status 1002 is what TIDAL sent for an invalid_request seen in a client's issue;
        # the emulator uses it for every error (the real numbers are not documented).
        body = {
            "status": self.status,
            "error": self.error,
            "sub_status": 1002,
            "error_description": self.description,
        }
        return web.json_response(body, status=self.status, headers=self.headers)


def token_failure(status: int, message: str | None, headers: dict[str, str]) -> OAuthError:
    """A failure mode's answer from the token endpoint, in OAuth's error vocabulary."""
    error = "temporarily_unavailable" if status >= 500 or status == 429 else "invalid_request"
    return OAuthError(status, error, message or DETAILS.get(status, "Error"), headers)


# --- tokens ---------------------------------------------------------------------------------


class TokenStore:
    """Issued bearer tokens and when they stop working; safe to use from the test's thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, lifetime: float) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = self._clock() + lifetime
        return token

    def check(self, token: str) -> str:
        """``valid``, ``expired`` or ``unknown``."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if self._clock() < expiry else "expired"

    def expire_all(self) -> None:
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, float("-inf"))


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``Basic base64(id:secret)`` → ``(id, secret)``; None if the header is not that."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


# --- request parameters ---------------------------------------------------------------------


def split_values(values: list[str]) -> list[str]:
    """Repeated (``a=1&a=2``, openapi-fetch's way) and comma-separated (``a=1,2``) alike."""
    found = [part.strip() for value in values for part in value.split(",")]
    return list(dict.fromkeys(part for part in found if part))


def parse_includes(query: Any, root: str) -> list[list[str]] | None:
    """The ``include`` paths as segment lists (None without ``include``), validated as the
    reference says: each must resolve, none deeper than 3, at most 10 distinct resources."""
    if "include" not in query:
        return None
    paths = [path.split(".") for path in split_values(query.getall("include"))]
    named = {".".join(segments[: n + 1]) for segments in paths for n in range(len(segments))}
    if len(named) > MAX_INCLUDE_PATHS:
        raise bad_parameter("include", f"include names more than {MAX_INCLUDE_PATHS} resources")
    for segments in paths:
        if len(segments) > MAX_INCLUDE_DEPTH:
            raise bad_parameter(
                "include", f"include paths are limited to {MAX_INCLUDE_DEPTH} levels"
            )
        check_include_path(root, segments)
    return paths


def check_include_path(root: str, segments: list[str]) -> None:
    kinds = frozenset({root})
    for segment in segments:
        qualifier, _, name = segment.rpartition(":")
        candidates = kinds & {qualifier} if qualifier else kinds
        if not any(name in RELATIONSHIPS.get(kind, ()) for kind in candidates):
            options = sorted({r for kind in kinds for r in RELATIONSHIPS.get(kind, ())})
            raise bad_parameter(
                "include",
                f"Invalid include path '{'.'.join(segments)}'. "
                f"Available options: {', '.join(options)}",
            )
        kinds = frozenset().union(*(TARGETS.get((k, name), frozenset()) for k in candidates))
        if not kinds:
            return  # nothing modelled below: the rest cannot be checked, and yields nothing


def parse_filters(query: Any, kind: str) -> dict[str, list[str]]:
    """``filter[name]`` values by name; 400 for an undocumented one (listing the available
    filters, as the reference promises), for none at all and for too many values."""
    available = FILTERS[kind]
    filters: dict[str, list[str]] = {}
    for key in query:
        if not key.startswith("filter"):
            continue
        name = key[len("filter[") : -1] if key.startswith("filter[") and key.endswith("]") else ""
        if name not in available:
            raise bad_parameter(key, f"Unknown filter. Available filters: {', '.join(available)}")
        filters[name] = split_values(query.getall(key))
    if not filters:
        raise bad_parameter(
            "filter", f"At least one filter is required: {', '.join(available)}", MISSING_PARAMETER
        )
    for name, values in filters.items():
        if len(values) > MAX_FILTER_VALUES:
            raise bad_parameter(f"filter[{name}]", f"At most {MAX_FILTER_VALUES} values allowed")
    return filters


def parse_sort(query: Any, kind: str) -> str | None:
    value = query.get("sort")
    if value is None:
        return None
    if value not in SORTS.get(kind, ()):
        allowed = ", ".join(SORTS.get(kind, ())) or "none"
        raise bad_parameter("sort", f"Invalid sort value '{value}'. Allowed: {allowed}")
    return value


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def un_b64url(value: str) -> str | None:
    with contextlib.suppress(binascii.Error, UnicodeDecodeError):
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    return None


def encode_cursor(offset: int) -> str:
    return b64url(f"o{offset}")


def decode_cursor(value: str | None) -> int:
    """Cursors are opaque to clients; here, an offset. 400 for one the emulator never gave."""
    if value is None:
        return 0
    text = un_b64url(value) or ""
    if text[:1] != "o" or not text[1:].isdigit():
        raise bad_parameter("page[cursor]", "Invalid page cursor")
    return int(text[1:])


def search_id(query: str) -> str:
    return SEARCH_ID_PREFIX + b64url(query)


def search_query(resource_id: str) -> str:
    """The query behind a searchResults id: ours are encoded, the deprecated form's id is
    the query itself."""
    if resource_id.startswith(SEARCH_ID_PREFIX):
        decoded = un_b64url(resource_id[len(SEARCH_ID_PREFIX) :])
        if decoded is not None:
            return decoded
    return resource_id


def iso_duration(seconds: int) -> str:
    """``PT20M22S``, as TIDAL writes durations (``PT0S`` for none)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "PT" + parts + (f"{secs}S" if secs or not parts else "")


def accepts_json_api(accept: str | None) -> bool:
    """No ``Accept``, or one allowing ``application/vnd.api+json`` (also through
    ``application/json`` or wildcards: tolerant, the reference only promises a 406)."""
    if not accept:
        return True
    for part in accept.split(","):
        media_type, *params = (p.strip() for p in part.split(";"))
        if any(p.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00") for p in params):
            continue
        if media_type.lower() in (JSON_API, "application/json", "application/*", "*/*"):
            return True
    return False


@dataclass(frozen=True)
class Ask:
    """What every document of one request depends on: where links point, which country."""

    base_url: str
    country: str | None
    absolute: bool

    def link(self, path: str, query: list[tuple[str, str]] | None = None) -> str:
        """A link to ``path`` (relative to ``/v2``), brackets and commas percent-encoded as
        the live service writes them."""
        qs = urlencode(query or [])
        relative = path + (f"?{qs}" if qs else "")
        return f"{self.base_url}{API_PREFIX}{relative}" if self.absolute else relative

    def country_query(self) -> list[tuple[str, str]]:
        return [("countryCode", self.country)] if self.country else []


def api_path(request: web.Request) -> str:
    """The request's path below ``/v2``, still percent-encoded (a search query may hold
    spaces or slashes)."""
    return request.rel_url.raw_path[len(API_PREFIX) :]


def ref_path(ref: Ref) -> str:
    return f"/{ref[0]}/{quote(ref[1], safe='')}"


def identifiers(kind: str, ids: list[str] | tuple[str, ...]) -> list[Doc]:
    return [{"id": i, "type": kind} for i in ids]


def refs_of(data: Any) -> list[Ref]:
    items = data if isinstance(data, list) else [data] if data else []
    return [(item["type"], item["id"]) for item in items]


# --- documents ------------------------------------------------------------------------------


class Documents:
    """JSON:API resource objects, relationships and compound documents over the catalogue."""

    def __init__(self, catalogue: TidalCatalogue, page_size: int = PAGE_SIZE) -> None:
        self.catalogue = catalogue
        self.page_size = page_size
        c = catalogue
        self._linkage: dict[tuple[str, str], Callable[[str], list[Doc]]] = {
            ("albums", "artists"): lambda i: identifiers("artists", c.albums[i].artist_ids),
            ("albums", "items"): self._album_items,
            ("albums", "coverArt"): lambda i: identifiers("artworks", [c.albums[i].cover.id]),
            ("albums", "providers"): lambda i: identifiers("providers", [c.albums[i].provider_id]),
            ("tracks", "albums"): lambda i: identifiers("albums", [c.tracks[i].album_id]),
            ("tracks", "artists"): lambda i: identifiers("artists", c.tracks[i].artist_ids),
            ("tracks", "providers"): lambda i: identifiers(
                "providers", [c.albums[c.tracks[i].album_id].provider_id]
            ),
            ("artists", "albums"): lambda i: identifiers(
                "albums", [a.id for a in c.albums_of_artist(i)]
            ),
            ("artists", "tracks"): lambda i: identifiers(
                "tracks", [t.id for t in c.tracks_of_artist(i)]
            ),
            ("artists", "profileArt"): lambda i: identifiers("artworks", [c.artists[i].picture.id]),
        }

    def exists(self, kind: str, resource_id: str) -> bool:
        c = self.catalogue
        found: dict[str, Any] = {
            "albums": c.albums,
            "tracks": c.tracks,
            "artists": c.artists,
            "artworks": c.artworks,
            "providers": c.providers,
        }
        return kind == "searchResults" or resource_id in found.get(kind, {})

    # --- resource objects

    def resource(self, ref: Ref, ask: Ask) -> Doc:
        kind, resource_id = ref
        return {
            "id": resource_id,
            "type": kind,
            "attributes": self.attributes(kind, resource_id, ask),
            "relationships": {},
        }

    def attributes(self, kind: str, resource_id: str, ask: Ask) -> Doc:
        build: dict[str, Callable[[str, Ask], Doc]] = {
            "albums": self._album,
            "tracks": self._track,
            "artists": self._artist,
            "artworks": self._artwork,
            "providers": lambda i, _: {"name": self.catalogue.providers[i].name},
            "searchResults": lambda i, _: {
                "query": search_query(i),
                "trackingId": str(uuid.uuid4()),
            },
        }
        return build[kind](resource_id, ask)

    def _album(self, album_id: str, ask: Ask) -> Doc:
        album = self.catalogue.albums[album_id]
        return {
            "title": album.title,
            "barcodeId": album.barcode,
            "numberOfVolumes": max(self.catalogue.tracks[t].volume_number for t in album.track_ids),
            "numberOfItems": len(album.track_ids),
            "duration": iso_duration(self.catalogue.album_seconds(album)),
            "explicit": False,
            "releaseDate": album.release_date,
            "copyright": {"text": album.copyright},
            "popularity": album.popularity,
            "accessType": "PUBLIC",
            "availability": ["STREAM", "DJ"],  # deprecated in the reference, still sent
            "mediaTags": list(album.media_tags),
            "externalLinks": [_sharing_link("album", album_id)],
            "albumType": album.album_type,
            "type": album.album_type,  # the deprecated name of albumType
        }

    def _track(self, track_id: str, ask: Ask) -> Doc:
        track = self.catalogue.tracks[track_id]
        return {
            "title": track.title,
            "version": None,  # recorded answers send null for "no version"
            "isrc": track.isrc,
            "duration": iso_duration(track.seconds),
            "copyright": {"text": track.copyright},
            "explicit": False,
            "popularity": track.popularity,
            "accessType": "PUBLIC",
            "availability": ["STREAM", "DJ"],
            "mediaTags": list(self.catalogue.albums[track.album_id].media_tags),
            "key": "UNKNOWN",
            "keyScale": "UNKNOWN",
            "externalLinks": [_sharing_link("track", track_id)],
            "spotlighted": False,
        }

    def _artist(self, artist_id: str, ask: Ask) -> Doc:
        artist = self.catalogue.artists[artist_id]
        return {
            "name": artist.name,
            "popularity": artist.popularity,
            "externalLinks": [_sharing_link("artist", artist_id)],
        }

    def _artwork(self, artwork_id: str, ask: Ask) -> Doc:
        artwork = self.catalogue.artworks[artwork_id]
        files = [
            {
                "href": f"{ask.base_url}{IMAGE_PREFIX}{artwork.image_path}/{size}x{size}.jpg",
                "meta": {"width": size, "height": size},
            }
            for size in artwork.sizes
        ]
        return {"mediaType": "IMAGE", "files": files}

    # --- relationships

    def linkage(self, ref: Ref, name: str) -> list[Doc]:
        """Every resource identifier of one relationship, in order."""
        kind, resource_id = ref
        if kind == "searchResults":
            return self._search_linkage(search_query(resource_id), name)
        getter = self._linkage.get((kind, name))
        return getter(resource_id) if getter else []

    def _album_items(self, album_id: str) -> list[Doc]:
        tracks = [self.catalogue.tracks[t] for t in self.catalogue.albums[album_id].track_ids]
        meta = [{"trackNumber": t.track_number, "volumeNumber": t.volume_number} for t in tracks]
        return [
            {"id": t.id, "type": "tracks", "meta": m} for t, m in zip(tracks, meta, strict=True)
        ]

    def _search_linkage(self, query: str, name: str) -> list[Doc]:
        hits = self.catalogue.search(query)
        found = {"albums": hits.albums, "artists": hits.artists, "tracks": hits.tracks}
        if name == "topHits":
            return [{"id": i, "type": kind} for kind, i in hits.top(TOP_HITS)]
        return identifiers(name, found.get(name, []))

    def relationship(
        self,
        ref: Ref,
        name: str,
        ask: Ask,
        offset: int = 0,
        query: list[tuple[str, str]] | None = None,
    ) -> Doc:
        """One page of a relationship: ``{data, links: {self, next?, meta?}}``. ``query`` is
        kept in ``next`` (a relationship endpoint's own parameters); by default only the
        country, as in a resource's ``relationships``."""
        path = f"{ref_path(ref)}/relationships/{name}"
        base_query = [(k, v) for k, v in (query or ask.country_query()) if k != "page[cursor]"]
        if name in TO_ONE:
            return {"data": None, "links": {"self": ask.link(path, base_query)}}
        everything = self.linkage(ref, name)
        page = everything[offset : offset + self.page_size]
        links: Doc = {"self": ask.link(path, base_query)}  # an endpoint puts its own
        if offset + self.page_size < len(everything):
            cursor = encode_cursor(offset + self.page_size)
            links["next"] = ask.link(path, [*base_query, ("page[cursor]", cursor)])
            links["meta"] = {"nextCursor": cursor}
        return {"data": page, "links": links}

    # --- compound documents

    def expand(
        self, objects: dict[Ref, Doc], roots: list[Ref], segments: list[str], ask: Ask
    ) -> None:
        """Follow one include path from ``roots``: each step fills the relationship on the
        resources it leaves and adds the resources it reaches to ``objects``."""
        frontier = roots
        for segment in segments:
            qualifier, _, name = segment.rpartition(":")
            reached: list[Ref] = []
            for ref in frontier:
                if (qualifier and ref[0] != qualifier) or name not in RELATIONSHIPS.get(ref[0], ()):
                    continue
                relationships = objects[ref]["relationships"]
                if name not in relationships:
                    relationships[name] = self.relationship(ref, name, ask)
                for target in refs_of(relationships[name]["data"]):
                    if target not in objects:
                        objects[target] = self.resource(target, ask)
                    reached.append(target)
            frontier = list(dict.fromkeys(reached))

    def compound(
        self, primary: list[Ref], paths: list[list[str]] | None, ask: Ask
    ) -> tuple[list[Doc], list[Doc] | None]:
        """Primary resource objects and, when ``include`` was given, ``included`` (each
        resource once, none of the primary ones)."""
        objects = {ref: self.resource(ref, ask) for ref in primary}
        for segments in paths or []:
            self.expand(objects, primary, segments, ask)
        included = None if paths is None else [o for r, o in objects.items() if r not in primary]
        return [objects[ref] for ref in primary], included


def _sharing_link(kind: str, resource_id: str) -> Doc:
    return {
        "href": f"https://tidal.com/browse/{kind}/{resource_id}",
        "meta": {"type": "TIDAL_SHARING"},
    }


def with_included(doc: Doc, included: list[Doc] | None) -> Doc:
    if included is not None:
        doc["included"] = included
    return doc


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TidalEmulator(CountedEmulator):
    """State (catalogue, tokens, counters, modes, limit, rendered images) and the app."""

    def __init__(
        self,
        *,
        client_id: str = "sample-tidal-id",
        client_secret: str = "sample-tidal-secret",
        rate_limit: int | None = 2,
        window_seconds: float = 10.0,
        token_lifetime: int = 86400,
        page_size: int = PAGE_SIZE,
        require_country_code: bool = True,
        absolute_links: bool = True,
        catalogue: TidalCatalogue | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.require_country_code = require_country_code
        self.absolute_links = absolute_links
        self.catalogue = catalogue or build_catalogue()
        self.docs = Documents(self.catalogue, page_size)
        self.limiter = (
            MovingWindowLimiter(rate_limit, window_seconds) if rate_limit is not None else None
        )
        self.tokens = TokenStore()
        self._log = CallLog()
        self._token_log = CallLog()
        self._image_log = CallLog()
        self._mode = ModeSwitch(default_status=503)
        self._token_mode = ModeSwitch(default_status=503)
        self._images = ImageStore()

    # --- counters and settings --------------------------------------------------------------

    @property
    def token_calls(self) -> int:
        return self._token_log.calls

    @property
    def token_requests(self) -> list[RecordedRequest]:
        return self._token_log.requests

    @property
    def image_calls(self) -> int:
        return self._image_log.calls

    @property
    def page_size(self) -> int:
        return self.docs.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.docs.page_size = value

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """API behaviour: ``ok``, ``delay`` (``seconds``), ``error`` (``status``, default
        503, ``message``), ``drop``, ``garbage`` (``body``), ``ratelimited`` (429 with
        ``Retry-After: retry_after``). ``times=N``: the next N API requests only."""
        self._mode.set(mode, times=times, **options)

    def set_token_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """The same modes for the token endpoint, counted on its own."""
        self._token_mode.set(mode, times=times, **options)

    @property
    def mode(self) -> str:
        return self._mode.name

    @property
    def token_mode(self) -> str:
        return self._token_mode.name

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 401 (expired); new ones work."""
        self.tokens.expire_all()

    def reset(self) -> None:
        """Forget calls, the rate-limit window and failure modes; tokens and settings stay."""
        for log in (self._log, self._token_log, self._image_log):
            log.clear()
        self._mode.reset()
        self._token_mode.reset()
        if self.limiter is not None:
            self.limiter.clear()

    # --- app --------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", TOKEN_PATH, self._token)
        app.router.add_get(IMAGE_PREFIX + "{path:.+}", self._image)
        for path, handler in (
            ("/searchResults", self._search),
            ("/searchResults/{id}", self._search_deprecated),
            ("/{kind}/{id}/relationships/{name}", self._relationship),
            ("/{kind}/{id}", self._single),
            ("/{kind}", self._collection),
        ):
            app.router.add_get(API_PREFIX + path, handler)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        app.router.add_post(CONTROL_PREFIX + "expire-tokens", self._control_expire)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run on ``host:port`` (0 = any free port); yields the base URL (without ``/v2``:
        the token endpoint and the API share it)."""
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    # --- pipeline ---------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        if request.path.startswith(IMAGE_PREFIX):
            self._image_log.record(request)
            return await handler(request)
        if request.path == TOKEN_PATH:
            self._token_log.record(request)
            failure = await self._misbehave(self._token_mode.take(), request, token=True)
            return failure if failure is not None else await handler(request)
        self._log.record(request)
        failure = await self._misbehave(self._mode.take(), request, token=False)
        if failure is not None:
            return failure
        decision: Decision | None = None
        try:
            self._authenticate(request)
            decision = self._acquire()
            self._route_check(request)
            response = await handler(request)
        except TidalError as error:
            response = error_response(error)
        if decision is not None:
            response.headers.update(rate_headers(decision))
        return response

    async def _misbehave(
        self, mode: FailureMode, request: web.Request, *, token: bool
    ) -> web.StreamResponse | None:
        """The failure mode's answer, or None to serve the request normally."""
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
        elif mode.name == "drop":
            return await drop(request)
        elif mode.name == "garbage":
            return web.Response(
                body=mode.body, content_type="application/json" if token else JSON_API
            )
        elif mode.name in ("error", "ratelimited"):
            status = 429 if mode.name == "ratelimited" else mode.status
            headers = {"Retry-After": str(mode.retry_after)} if status == 429 else {}
            if token:
                return token_failure(status, mode.message, headers).response()
            return error_response(TidalError(status, mode.message, headers=headers))
        return None

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise TidalError(
                401, NO_TOKEN, header="Authorization", headers={"WWW-Authenticate": "Bearer"}
            )
        scheme, _, token = header.strip().partition(" ")
        state = self.tokens.check(token.strip()) if scheme.lower() == "bearer" else "unknown"
        if state != "valid":
            detail = EXPIRED_TOKEN if state == "expired" else BAD_TOKEN
            challenge = f'Bearer error="invalid_token", error_description="{detail}"'
            raise TidalError(
                401, detail, header="Authorization", headers={"WWW-Authenticate": challenge}
            )

    def _acquire(self) -> Decision | None:
        if self.limiter is None:
            return None
        decision = self.limiter.acquire()
        if not decision.allowed:
            headers = {"Retry-After": str(decision.retry_after)} | rate_headers(decision)
            raise TidalError(429, headers=headers)
        return decision

    @staticmethod
    def _route_check(request: web.Request) -> None:
        routing_error = request.match_info.http_exception
        if isinstance(routing_error, web.HTTPMethodNotAllowed):
            raise TidalError(405, headers={"Allow": "GET, HEAD"})
        if routing_error is not None:
            raise TidalError(404)
        if not accepts_json_api(request.headers.get("Accept")):
            raise TidalError(406)

    def _ask(self, request: web.Request, kind: str) -> Ask:
        """The request's context; 400 for a missing (when required) or malformed country."""
        country = request.query.get("countryCode")
        if country is None and self.require_country_code and kind not in NO_COUNTRY:
            raise bad_parameter(
                "countryCode", "Required parameter 'countryCode' is missing", MISSING_PARAMETER
            )
        if country is not None and not _COUNTRY.fullmatch(country):
            raise bad_parameter(
                "countryCode", f"Invalid ISO 3166-1 alpha-2 country code '{country}'"
            )
        base_url = f"{request.scheme}://{request.host}"
        return Ask(base_url, country.upper() if country else None, self.absolute_links)

    def _self_link(self, request: web.Request, ask: Ask) -> str:
        return ask.link(api_path(request), list(request.query.items()))

    def _document(
        self, request: web.Request, ask: Ask, data: Doc | list[Doc], included: list[Doc] | None
    ) -> web.Response:
        doc = {"data": data, "links": {"self": self._self_link(request, ask)}}
        return json_api(with_included(doc, included))

    def _found(self, kind: str, resource_id: str) -> Ref:
        if kind not in RELATIONSHIPS or not self.docs.exists(kind, resource_id):
            raise TidalError(404, f"{kind} with id '{resource_id}' not found")
        return kind, resource_id

    # --- endpoints --------------------------------------------------------------------------

    async def _single(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in RELATIONSHIPS or kind == "searchResults":
            raise TidalError(404)
        ask = self._ask(request, kind)
        paths = parse_includes(request.query, kind)
        ref = self._found(kind, request.match_info["id"])
        (data,), included = self.docs.compound([ref], paths, ask)
        return self._document(request, ask, data, included)

    async def _collection(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in FILTERS:
            raise TidalError(404)
        ask = self._ask(request, kind)
        paths = parse_includes(request.query, kind)
        found = self._filtered(kind, parse_filters(request.query, kind))
        sort = parse_sort(request.query, kind)
        if sort is not None:
            key = "title" if sort.lstrip("-") == "title" else "createdAt"
            found.sort(key=lambda r: self._sort_key(r, key), reverse=sort.startswith("-"))
        offset = decode_cursor(request.query.get("page[cursor]"))
        page = found[offset : offset + self.page_size]
        data, included = self.docs.compound(page, paths, ask)
        links = self._page_links(request, ask, offset, len(found))
        return json_api(with_included({"data": data, "links": links}, included))

    def _filtered(self, kind: str, filters: dict[str, list[str]]) -> list[Ref]:
        """Within one filter any value matches, in the order given; filters combine with
        AND (JSON:API's usual reading; the reference does not say)."""
        c = self.catalogue
        matchers: dict[str, Callable[[str], list[str]]] = {
            "id": lambda v: [v] if self.docs.exists(kind, v) else [],
            "barcodeId": lambda v: [a.id for a in c.albums_by_barcode(v)[:1]],
            "isrc": lambda v: [t.id for t in c.tracks_by_isrc(v)],
            "handle": lambda v: [],  # the sample artists have no handles
            "owners.id": lambda v: [],  # catalogue items have no user owners
        }
        result: list[str] | None = None
        for name, values in filters.items():
            ids = list(dict.fromkeys(i for v in values for i in matchers[name](v)))
            result = ids if result is None else [i for i in result if i in ids]
        return [(kind, i) for i in result or []]

    def _sort_key(self, ref: Ref, key: str) -> str:
        if key == "title":
            item = self.catalogue.albums.get(ref[1]) or self.catalogue.tracks.get(ref[1])
            return item.title if item is not None else ""
        return ref[1].zfill(20)  # ids grow with creation here

    def _page_links(self, request: web.Request, ask: Ask, offset: int, total: int) -> Doc:
        links: Doc = {"self": self._self_link(request, ask)}
        if offset + self.page_size < total:
            cursor = encode_cursor(offset + self.page_size)
            query = [(k, v) for k, v in request.query.items() if k != "page[cursor]"]
            links["next"] = ask.link(api_path(request), [*query, ("page[cursor]", cursor)])
            links["meta"] = {"nextCursor": cursor}
        return links

    async def _relationship(self, request: web.Request) -> web.Response:
        kind, name = request.match_info["kind"], request.match_info["name"]
        if name not in RELATIONSHIPS.get(kind, ()):
            raise TidalError(404)
        ask = self._ask(request, kind)
        paths = parse_includes(request.query, kind)
        if paths and any(segments[0] != name for segments in paths):
            raise bad_parameter("include", f"Invalid include. Available options: {name}")
        self._check_explicit_filter(request, kind)
        ref = self._found(kind, request.match_info["id"])
        offset = decode_cursor(request.query.get("page[cursor]"))
        doc = self.docs.relationship(ref, name, ask, offset, list(request.query.items()))
        doc["links"]["self"] = self._self_link(request, ask)
        if paths is not None:
            targets = refs_of(doc["data"])
            objects = {target: self.docs.resource(target, ask) for target in targets}
            for segments in paths:
                self.docs.expand(objects, targets, segments[1:], ask)
            doc["included"] = list(objects.values())
        return json_api(doc)

    @staticmethod
    def _check_explicit_filter(request: web.Request, kind: str) -> None:
        value = request.query.get("explicitFilter")
        if kind == "searchResults" and value is not None and value not in ("INCLUDE", "EXCLUDE"):
            raise bad_parameter("explicitFilter", "Valid values: INCLUDE or EXCLUDE")

    def _search_query(self, request: web.Request) -> str:
        query = request.query.get("filter[query]", "").strip()
        if not query:
            raise bad_parameter("filter[query]", "A search query is required", MISSING_PARAMETER)
        if len(query) > MAX_QUERY_LENGTH:
            raise bad_parameter("filter[query]", f"At most {MAX_QUERY_LENGTH} characters")
        return query

    async def _search(self, request: web.Request) -> web.Response:
        """The current form: a collection holding exactly one searchResults resource."""
        ask = self._ask(request, "searchResults")
        paths = parse_includes(request.query, "searchResults")
        self._check_explicit_filter(request, "searchResults")
        ref = ("searchResults", search_id(self._search_query(request)))
        data, included = self.docs.compound([ref], paths, ask)
        return self._document(request, ask, data, included)

    async def _search_deprecated(self, request: web.Request) -> web.Response:
        """``/searchResults/{query}``: one resource whose id is the query itself."""
        ask = self._ask(request, "searchResults")
        paths = parse_includes(request.query, "searchResults")
        self._check_explicit_filter(request, "searchResults")
        (data,), included = self.docs.compound(
            [("searchResults", request.match_info["id"])], paths, ask
        )
        return self._document(request, ask, data, included)

    async def _token(self, request: web.Request) -> web.Response:
        try:
            return await self._issue_token(request)
        except OAuthError as error:
            return error.response()

    async def _issue_token(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            raise OAuthError(405, "invalid_request", "Method Not Allowed", {"Allow": "POST"})
        if request.content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
                400, "invalid_request", "Expected an application/x-www-form-urlencoded body"
            )
        form = await request.post()
        grant_type = str(form.get("grant_type") or "")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing grant_type")
        basic = basic_credentials(request.headers.get("Authorization", ""))
        client_id, secret = basic or (
            str(form.get("client_id", "")),
            str(form.get("client_secret", "")),
        )
        if (client_id, secret) != (self.client_id, self.client_secret):
            headers = {"WWW-Authenticate": 'Basic realm="tidal"'} if basic else {}
            raise OAuthError(401, "invalid_client", "Client authentication failed", headers)
        if grant_type != "client_credentials":
            raise OAuthError(
                400, "unsupported_grant_type", f"Unsupported grant_type '{grant_type}'"
            )
        token = self.tokens.issue(self.token_lifetime)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": "",
        }
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def _image(self, request: web.Request) -> web.Response:
        """The CDN side: square JPEGs at the sizes the artwork lists; 404 for anything else."""
        match = _IMAGE.fullmatch(request.match_info["path"])
        artwork = self.catalogue.artwork_by_image_path(match["path"]) if match else None
        if (
            match is None
            or artwork is None
            or match["w"] != match["h"]
            or int(match["w"]) not in artwork.sizes
        ):
            return web.Response(status=404, text="Not Found")
        size = int(match["w"])
        rendered = self._images.get(ImageSpec(f"tidal:{artwork.id}", size, size, JPEG_QUALITY))
        headers = {"ETag": rendered.etag, "Cache-Control": IMAGE_CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=rendered.body, content_type="image/jpeg", headers=headers)

    # --- control endpoints ------------------------------------------------------------------

    async def _control_mode(self, request: web.Request) -> web.Response:
        """``{"mode": …, "endpoint": "token"?, …options}``."""
        try:
            options = await request.json()
            target = (
                self.set_token_mode if options.pop("endpoint", "api") == "token" else self.set_mode
            )
            target(options.pop("mode", "ok"), **options)
        except (TypeError, ValueError, AttributeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"mode": self.mode, "token_mode": self.token_mode})

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response(
            self._log.as_json()
            | {
                "token_calls": self.token_calls,
                "image_calls": self.image_calls,
                "mode": self.mode,
                "token_mode": self.token_mode,
            }
        )

    async def _control_expire(self, request: web.Request) -> web.Response:
        self.expire_tokens()
        return web.json_response({"expired": True})


def rate_headers(decision: Decision) -> dict[str, str]:
    """The live service's rate-limit headers, counted in requests (one request, one token)."""
    return {
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Burst-Capacity": str(decision.limit),
        "X-RateLimit-Requested-Tokens": "1",
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.tidal --port 8768``."""
    parser = argparse.ArgumentParser(description="Run the TIDAL API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--client-id", default="sample-tidal-id")
    parser.add_argument("--client-secret", default="sample-tidal-secret")
    parser.add_argument("--rate-limit", type=int, default=2, help="0 for no limit")
    parser.add_argument("--window-seconds", type=float, default=10.0)
    parser.add_argument("--token-lifetime", type=int, default=86400)
    args = parser.parse_args(argv)
    emulator = TidalEmulator(
        client_id=args.client_id,
        client_secret=args.client_secret,
        rate_limit=args.rate_limit or None,
        window_seconds=args.window_seconds,
        token_lifetime=args.token_lifetime,
    )
    base = f"http://{args.host}:{args.port}"
    print(f"TIDAL emulator: token at {base}{TOKEN_PATH}, API at {base}{API_PREFIX}/")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
