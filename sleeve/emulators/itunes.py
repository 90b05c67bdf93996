"""An emulator of Apple's iTunes Search API (itunes.apple.com) *and* of the artwork host
behind it (is1-ssl.mzstatic.com), both on one port, for sleeve's tests and offline demo.

It serves the invented catalogue of ``itunes_data`` the way the API answers:

- ``/search?term=&media=&entity=&attribute=&country=&limit=`` (``lang`` and ``explicit``
  accepted): every word of ``term`` must occur, case-insensitively, in the item's artist,
  collection or track name (``attribute=artistTerm|albumTerm|songTerm|genreIndex`` narrows
  that to one field). ``entity`` picks what is listed (``musicArtist``/``allArtist``,
  ``album``, ``song``/``musicTrack``/``allTrack``; tracks when it is absent); ``limit``
  defaults to 50, at most 200.
- ``/lookup?id=|amgArtistId=|amgAlbumId=|upc=|isbn=`` (several comma-separated), with
  ``entity`` listing each found item's related items after it (an album's songs, an
  artist's albums or songs, a track's album or artist), ``limit`` of them per item,
  newest first with ``sort=recent``. ``upc`` takes 12 or 13 digits (or 14 with a leading
  0): a UPC-A and its EAN-13 form find the same album. Nothing found: 200, no results.
- Answers are ``{"resultCount": n, "results": [...]}`` as ``text/javascript;
  charset=utf-8``, laid out like Apple's (three newlines around, one result a line).
  ``country`` (default ``us``) picks the storefront: the answers' ``country``,
  ``currency``, prices and the ``music.apple.com/{country}/…`` view URLs.
- 400 with ``{"errorMessage": "Invalid value(s) for key(s): [term]", "queryParameters":
  {…}}`` for a missing ``term``, and likewise for an unknown ``country``, ``media``
  (``mediaType``), ``entity`` (``resultEntity``), ``attribute`` (``attributeType``), a
  non-numeric id, or a lookup with no id at all (``[id]``).
- Past ``rate_limit`` calls per ``window_seconds`` from one source address (moving window,
  default 20 a minute, about what Apple allows): **403** with a short HTML page and no
  ``Retry-After``, as Apple answers (not a 429).

Artwork URLs in the answers point at the emulator itself:
``{base}/image/thumb/Music/{collectionId}/source/100x100bb.jpg`` (and ``30x30bb``,
``60x60bb``). As on Apple's host, any ``{W}x{H}bb.jpg`` may be asked for: real JPEG bytes,
fitted into W x H (``cc`` instead of ``bb`` crops to exactly W x H), never larger than the
album's source image (1200-3000 px). Artwork fetches are counted apart
(``artwork_calls``, ``artwork_calls_by_path``) and not rate-limited (Apple's CDN is not);
failure modes apply to them too.

Usage from async tests::

    emulator = ITunesEmulator(rate_limit=3)
    async with emulator.serve() as base_url:
        ...
    assert emulator.calls_by_path["/lookup"] == 1

From synchronous code: ``EmulatorThread(ITunesEmulator())``. ``set_mode`` makes it
misbehave like the other emulators (ok, delay, error, drop, garbage, ratelimited — the last
one a 403 like the real limit). Out of process: ``python -m sleeve.emulators.itunes
--port 8768``, controlled over ``/_emulator/mode``, ``/_emulator/calls`` and
``/_emulator/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from .discogs import RecordedRequest
from .discogs_access import Decision, MovingWindowLimiter
from .discogs_images import ImageSpec, ImageStore, etag_matches
from .itunes_data import (
    DEFAULT_STOREFRONT,
    STOREFRONTS,
    Album,
    Artist,
    Item,
    ITunesCatalogue,
    Storefront,
    Track,
    build_catalogue,
)
from .metabrainz_common import CallLog, CountedEmulator, ModeSwitch, drop
from .serving import serve_app

Doc = dict[str, Any]

ARTWORK_PREFIX = "/image/thumb/Music/"
CONTROL_PREFIX = "/_emulator/"
WEB_ROOT = "https://music.apple.com"
PREVIEW_ROOT = "https://audio-ssl.itunes.apple.com/itunes-assets/AudioPreview/emulator"
CONTENT_TYPE = "text/javascript"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
ARTWORK_SIZES = (30, 60, 100)
JPEG_QUALITY = 90
ARTWORK_CACHE_CONTROL = "public, max-age=31536000"
# The help Apple appends to a 400, as Apple words its keys (not all of them: these).
QUERY_PARAMETERS = {
    "output": "json",
    "callback": "A javascript function to handle your search results",
    "country": "ISO-2A country code",
    "limit": "The number of search results to return",
    "term": "A search string",
    "lang": "ISO-2A language code",
}
# Not worded from a recorded answer: Apple's 403 is a short page without Retry-After.
RATE_LIMITED_PAGE = "Too many requests from this address. Wait a minute and try again."
DEFAULT_GARBAGE = b'\n\n\n{\n "resultCount":1,\n "results": [\n<html><body>Oops</body></html>'

# Documented entities per media type; without ``media`` any of them is accepted.
MEDIA_ENTITIES: dict[str, tuple[str, ...]] = {
    "movie": ("movieArtist", "movie"),
    "podcast": ("podcastAuthor", "podcast"),
    "music": ("musicArtist", "musicTrack", "album", "musicVideo", "mix", "song"),
    "musicVideo": ("musicArtist", "musicVideo"),
    "audiobook": ("audiobookAuthor", "audiobook"),
    "shortFilm": ("shortFilmArtist", "shortFilm"),
    "tvShow": ("tvEpisode", "tvSeason"),
    "software": ("software", "iPadSoftware", "macSoftware"),
    "ebook": ("ebook",),
    "all": (
        "movie",
        "album",
        "allArtist",
        "podcast",
        "musicVideo",
        "mix",
        "audiobook",
        "tvSeason",
        "allTrack",
    ),
}
ALL_ENTITIES = frozenset(e for entities in MEDIA_ENTITIES.values() for e in entities)
# What the catalogue can list for an entity (music videos, mixes, films… it has none).
SHOWN = {
    "musicArtist": "artist",
    "allArtist": "artist",
    "album": "album",
    "musicTrack": "track",
    "song": "track",
    "allTrack": "track",
}
ATTRIBUTES = frozenset(
    [
        "actorTerm",
        "languageTerm",
        "allArtistTerm",
        "tvEpisodeTerm",
        "shortFilmTerm",
        "directorTerm",
        "releaseYearTerm",
        "titleTerm",
        "featureFilmTerm",
        "ratingIndex",
        "keywordsTerm",
        "descriptionTerm",
        "authorTerm",
        "genreIndex",
        "mixTerm",
        "allTrackTerm",
        "artistTerm",
        "composerTerm",
        "tvSeasonTerm",
        "producerTerm",
        "ratingTerm",
        "songTerm",
        "movieArtistTerm",
        "showTerm",
        "movieTerm",
        "albumTerm",
        "softwareDeveloper",
    ]
)
NAME_FIELDS = ("artist", "collection", "track")
ATTRIBUTE_FIELDS: dict[str, tuple[str, ...]] = {
    "artistTerm": ("artist",),
    "allArtistTerm": ("artist",),
    "albumTerm": ("collection",),
    "songTerm": ("track",),
    "allTrackTerm": ("track",),
    "genreIndex": ("genre",),
}
LOOKUP_KEYS = ("id", "amgArtistId", "amgAlbumId", "upc", "isbn")
_ARTWORK_NAME = re.compile(r"(?P<width>\d{1,5})x(?P<height>\d{1,5})(?P<crop>[a-z]{2})?\.jpe?g")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


class ITunesError(Exception):
    """An error answer: the status and its finished body."""

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            body=self.body,
            content_type=self.content_type,
            charset="utf-8",
            headers=self.headers,
        )


def invalid_keys(keys: list[str]) -> ITunesError:
    """Apple's 400: the offending keys (sorted, as in ``[attributeType, resultEntity]``)."""
    body = {
        "errorMessage": f"Invalid value(s) for key(s): [{', '.join(sorted(set(keys)))}]",
        "queryParameters": QUERY_PARAMETERS,
    }
    return ITunesError(400, json_line(body).encode(), CONTENT_TYPE)


def page_error(status: int, message: str | None = None, **headers: str) -> ITunesError:
    """A short HTML page, as Apple's front ends answer everything that is not a 400."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:  # a failure mode may ask for any number
        reason = "Error"
    text = f"<p>{message}</p>" if message else ""
    page = f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1>{text}"
    return ITunesError(status, (page + "</body></html>\n").encode(), headers=headers)


def json_line(doc: Doc) -> str:
    """One object the way Apple writes it: ``{"a":1, "b":"x"}``."""
    return json.dumps(doc, ensure_ascii=False, separators=(", ", ":"))


def results_body(docs: list[Doc]) -> bytes:
    """The whole answer, laid out like Apple's (clients that parse JSON see no difference;
    ones that compare bytes or look for a leading ``{`` do)."""
    results = "[\n" + ", \n".join(json_line(d) for d in docs) + "]" if docs else "[]"
    return f'\n\n\n{{\n "resultCount":{len(docs)},\n "results": {results}\n}}\n\n\n'.encode()


def results_response(docs: list[Doc]) -> web.Response:
    return web.Response(body=results_body(docs), content_type=CONTENT_TYPE, charset="utf-8")


def slug(name: str) -> str:
    return _SLUG_JUNK.sub("-", name.lower()).strip("-")


def limit_of(query: Mapping[str, str]) -> int:
    """``limit``: 1-200, default 50; a value that is no number counts as absent."""
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return DEFAULT_LIMIT
    return DEFAULT_LIMIT if limit < 1 else min(limit, MAX_LIMIT)


def artwork_size(side: int, width: int, height: int, crop: str | None) -> tuple[int, int]:
    """The size served for ``{width}x{height}{crop}.jpg`` of a square ``side``-px source:
    ``cc`` crops to the box, anything else fits into it; never enlarged."""
    if crop == "cc":
        return min(width, side), min(height, side)
    fitted = min(width, height, side)
    return fitted, fitted


def matches(words: list[str], fields: Mapping[str, str], wanted: tuple[str, ...]) -> bool:
    """Every word occurs in one of the ``wanted`` fields the item has."""
    text = " ".join(fields[f] for f in wanted if f in fields).casefold()
    return bool(text) and all(word in text for word in words)


class Presenter:
    """Catalogue records as one storefront's result documents."""

    def __init__(self, catalogue: ITunesCatalogue, store: Storefront, base_url: str) -> None:
        self.catalogue = catalogue
        self.store = store
        self.base_url = base_url

    def doc(self, item: Item) -> Doc:
        if isinstance(item, Artist):
            return self.artist(item)
        if isinstance(item, Album):
            return self.collection(item)
        return self.track(item)

    def artist_url(self, artist: Artist) -> str:
        return f"{WEB_ROOT}/{self.store.code}/artist/{slug(artist.name)}/{artist.id}?uo=4"

    def artwork(self, album: Album, sizes: tuple[int, ...]) -> Doc:
        base = f"{self.base_url}{ARTWORK_PREFIX}{album.id}/source"
        return {f"artworkUrl{s}": f"{base}/{s}x{s}bb.jpg" for s in sizes}

    def artist(self, artist: Artist) -> Doc:
        doc: Doc = {
            "wrapperType": "artist",
            "artistType": "Artist",
            "artistName": artist.name,
            "artistLinkUrl": self.artist_url(artist),
            "artistId": artist.id,
        }
        if artist.amg_id is not None:
            doc["amgArtistId"] = artist.amg_id
        return doc | {"primaryGenreName": artist.genre.name, "primaryGenreId": artist.genre.id}

    def _collection_head(self, album: Album, artist: Artist) -> Doc:
        doc: Doc = {
            "wrapperType": "collection",
            "collectionType": "Album",
            "artistId": artist.id,
            "collectionId": album.id,
        }
        if artist.amg_id is not None:
            doc["amgArtistId"] = artist.amg_id
        return doc

    def collection(self, album: Album) -> Doc:
        artist = self.catalogue.artists[album.artist_id]
        return self._collection_head(album, artist) | {
            "artistName": artist.name,
            "collectionName": album.name,
            "collectionCensoredName": album.name,
            "artistViewUrl": self.artist_url(artist),
            "collectionViewUrl": (
                f"{WEB_ROOT}/{self.store.code}/album/{slug(album.name)}/{album.id}?uo=4"
            ),
            **self.artwork(album, (60, 100)),  # collections come without the 30 px one
            "collectionPrice": self.store.album_prices[album.price_tier],
            "collectionExplicitness": "notExplicit",
            "trackCount": len(album.tracks),
            "copyright": album.copyright,
            "country": self.store.country,
            "currency": self.store.currency,
            "releaseDate": album.release_date,
            "primaryGenreName": album.genre.name,
        }

    def track(self, track: Track) -> Doc:
        album = self.catalogue.albums[track.album_id]
        artist = self.catalogue.artists[track.artist_id]
        view = f"{WEB_ROOT}/{self.store.code}/album/{slug(track.name)}/{album.id}?i={track.id}&uo=4"
        return {
            "wrapperType": "track",
            "kind": "song",
            "artistId": artist.id,
            "collectionId": album.id,
            "trackId": track.id,
            "artistName": artist.name,
            "collectionName": album.name,
            "trackName": track.name,
            "collectionCensoredName": album.name,
            "trackCensoredName": track.name,
            "artistViewUrl": self.artist_url(artist),
            "collectionViewUrl": view,
            "trackViewUrl": view,
            "previewUrl": f"{PREVIEW_ROOT}/{track.id}/mzaf_{track.id}.plus.aac.p.m4a",
            **self.artwork(album, ARTWORK_SIZES),
            "collectionPrice": self.store.album_prices[album.price_tier],
            "trackPrice": self.store.track_price,
            "releaseDate": track.release_date,
            "collectionExplicitness": "notExplicit",
            "trackExplicitness": "notExplicit",
            "discCount": album.disc_count,
            "discNumber": track.disc,
            "trackCount": album.tracks_on_disc(track.disc),
            "trackNumber": track.number,
            "trackTimeMillis": track.millis,
            "country": self.store.country,
            "currency": self.store.currency,
            "primaryGenreName": album.genre.name,
            "isStreamable": True,
        }


class SourceLimits:
    """One moving window per source address: Apple counts callers by IP."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[str, MovingWindowLimiter] = {}

    def acquire(self, source: str) -> Decision:
        window = self._windows.get(source)
        if window is None:
            window = self._windows[source] = MovingWindowLimiter(self.limit, self.window_seconds)
        window.limit, window.window_seconds = self.limit, self.window_seconds
        return window.acquire()

    def clear(self) -> None:
        self._windows.clear()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ITunesEmulator(CountedEmulator):
    """State (catalogue, counters, mode, per-address limits, rendered artwork) and the app."""

    def __init__(
        self,
        *,
        rate_limit: int = 20,
        window_seconds: float = 60.0,
        catalogue: ITunesCatalogue | None = None,
    ) -> None:
        self.catalogue = catalogue or build_catalogue()
        self.limits = SourceLimits(rate_limit, window_seconds)
        self._log = CallLog()
        self._artwork_log = CallLog()
        self._mode = ModeSwitch(default_status=503)
        self._images = ImageStore()

    # --- counters and settings --------------------------------------------------------

    @property
    def artwork_calls(self) -> int:
        return self._artwork_log.calls

    @property
    def artwork_calls_by_path(self) -> Counter[str]:
        return self._artwork_log.calls_by_path

    @property
    def artwork_requests(self) -> list[RecordedRequest]:
        return self._artwork_log.requests

    @property
    def rate_limit(self) -> int:
        return self.limits.limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        self.limits.limit = value

    @property
    def window_seconds(self) -> float:
        return self.limits.window_seconds

    @window_seconds.setter
    def window_seconds(self, value: float) -> None:
        self.limits.window_seconds = value

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """``ok``, ``delay`` (``seconds``), ``error`` (``status``, default 503, ``message``),
        ``drop``, ``garbage`` (``body``, default a broken result list), ``ratelimited``
        (Apple's 403). Applies to API and artwork requests alike; ``times=N`` counts both."""
        if mode == "garbage":
            options.setdefault("body", DEFAULT_GARBAGE)
        self._mode.set(mode, times=times, **options)

    @property
    def mode(self) -> str:
        return self._mode.name

    def reset(self) -> None:
        """Forget calls, rate-limit windows and failure modes (settings stay)."""
        self._log.clear()
        self._artwork_log.clear()
        self._mode.reset()
        self.limits.clear()

    def artwork_url(self, base_url: str, album_id: int, size: int = 100) -> str:
        """Where an album's artwork is, as the answers give it (``size`` px square)."""
        return f"{base_url.rstrip('/')}{ARTWORK_PREFIX}{album_id}/source/{size}x{size}bb.jpg"

    # --- app --------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/search", self._search)
        app.router.add_get("/lookup", self._lookup)
        app.router.add_get(ARTWORK_PREFIX + r"{album:\d+}/source/{name}", self._artwork)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run on ``host:port`` (0 = any free port); yields the base URL (the API's
        ``/search`` and ``/lookup`` are right under it, as on itunes.apple.com)."""
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    # --- pipeline -----------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        artwork = request.path.startswith(ARTWORK_PREFIX)
        (self._artwork_log if artwork else self._log).record(request)
        mode = self._mode.take()
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
        elif mode.name == "drop":
            return await drop(request)
        elif mode.name == "garbage":
            content_type = "image/jpeg" if artwork else CONTENT_TYPE
            return web.Response(body=mode.body, content_type=content_type)
        elif mode.name == "error":
            return page_error(mode.status, mode.message).response()
        elif mode.name == "ratelimited":
            return page_error(403, RATE_LIMITED_PAGE).response()
        try:
            if not artwork and not self.limits.acquire(request.remote or "").allowed:
                raise page_error(403, RATE_LIMITED_PAGE)
            routing_error = request.match_info.http_exception
            if isinstance(routing_error, web.HTTPMethodNotAllowed):
                raise page_error(405, Allow="GET, HEAD")
            if routing_error is not None:
                raise page_error(404)
            return await handler(request)
        except ITunesError as error:
            return error.response()

    def _presenter(self, request: web.Request) -> Presenter:
        """The storefront asked for (400 ``[country]`` for one the emulator has not)."""
        code = request.query.get("country", DEFAULT_STOREFRONT).strip().lower()
        store = STOREFRONTS.get(code)
        if store is None:
            raise invalid_keys(["country"])
        return Presenter(self.catalogue, store, f"{request.scheme}://{request.host}")

    @staticmethod
    def _entity(query: Mapping[str, str], media: str | None, errors: list[str]) -> str | None:
        entity = query.get("entity") or None
        allowed = ALL_ENTITIES if media is None else MEDIA_ENTITIES.get(media, ())
        if entity is not None and entity not in allowed:
            errors.append("resultEntity")
        return entity

    # --- endpoints ----------------------------------------------------------------------

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query
        presenter = self._presenter(request)
        errors: list[str] = []
        words = query.get("term", "").casefold().split()
        if not words:
            errors.append("term")
        media = query.get("media") or None
        if media is not None and media not in MEDIA_ENTITIES:
            errors.append("mediaType")
        entity = self._entity(query, media, errors)
        attribute = query.get("attribute") or None
        if attribute is not None and attribute not in ATTRIBUTES:
            errors.append("attributeType")
        if errors:
            raise invalid_keys(errors)
        if entity is None:  # the default entity of music and all is the track
            entity = "musicTrack" if media in (None, "music", "all") else media
        wanted = ATTRIBUTE_FIELDS.get(attribute or "", NAME_FIELDS)
        candidates = self._candidates(SHOWN.get(entity))
        found = [i for i in candidates if matches(words, self._fields(i), wanted)]
        return results_response([presenter.doc(i) for i in found[: limit_of(query)]])

    def _candidates(self, shown: str | None) -> list[Item]:
        if shown == "artist":
            return list(self.catalogue.artists.values())
        if shown == "album":
            return list(self.catalogue.albums.values())
        if shown == "track":
            return list(self.catalogue.all_tracks())
        return []

    def _fields(self, item: Item) -> dict[str, str]:
        """The searchable text of an item, by field."""
        if isinstance(item, Artist):
            return {"artist": item.name, "genre": item.genre.name}
        album = item if isinstance(item, Album) else self.catalogue.albums[item.album_id]
        fields = {
            "artist": self.catalogue.artists[item.artist_id].name,
            "collection": album.name,
            "genre": album.genre.name,
        }
        if isinstance(item, Track):
            fields["track"] = item.name
        return fields

    async def _lookup(self, request: web.Request) -> web.Response:
        query = request.query
        presenter = self._presenter(request)
        errors: list[str] = []
        entity = self._entity(query, None, errors)
        items = self._looked_up(query, errors)
        if errors:
            raise invalid_keys(errors)
        limit, recent = limit_of(query), query.get("sort") == "recent"
        docs: list[Doc] = []
        for item in items:
            docs.append(presenter.doc(item))
            related = self._related(item, SHOWN.get(entity or ""))
            if recent:
                related.sort(key=release_date_of, reverse=True)
            docs.extend(presenter.doc(r) for r in related[:limit])
        return results_response(docs)

    def _looked_up(self, query: Mapping[str, str], errors: list[str]) -> list[Item]:
        """The items the lookup keys name, in the order asked, each once."""
        present = [key for key in LOOKUP_KEYS if key in query]
        if not present:
            errors.append("id")
        found: dict[tuple[str, int], Item] = {}
        for key in present:
            for value in (v.strip() for v in query[key].split(",")):
                if not value:
                    continue
                for item in self._find(key, value, errors):
                    found.setdefault((type(item).__name__, item.id), item)
        return list(found.values())

    def _find(self, key: str, value: str, errors: list[str]) -> list[Item]:
        if key == "upc":
            return list(self.catalogue.albums_by_upc(value))
        if key == "isbn":
            return []  # a music catalogue: no books
        if not value.isdigit():
            errors.append(key)
            return []
        number = int(value)
        if key == "amgArtistId":
            item: Item | None = self.catalogue.artist_by_amg(number)
        elif key == "amgAlbumId":
            item = self.catalogue.album_by_amg(number)
        else:
            item = self.catalogue.item(number)
        return [item] if item is not None else []

    def _related(self, item: Item, shown: str | None) -> list[Item]:
        """What ``entity`` adds after a looked-up item."""
        cat = self.catalogue
        if isinstance(item, Artist):
            if shown == "album":
                return list(cat.albums_of(item.id))
            return list(cat.tracks_of(item.id)) if shown == "track" else []
        if isinstance(item, Album):
            if shown == "track":
                return list(item.tracks)
            return [cat.artists[item.artist_id]] if shown == "artist" else []
        if shown == "album":
            return [cat.albums[item.album_id]]
        return [cat.artists[item.artist_id]] if shown == "artist" else []

    async def _artwork(self, request: web.Request) -> web.Response:
        album = self.catalogue.albums.get(int(request.match_info["album"]))
        name = _ARTWORK_NAME.fullmatch(request.match_info["name"])
        if album is None or name is None or request.query_string:
            raise page_error(404)
        width, height = int(name["width"]), int(name["height"])
        if not (width and height):
            raise page_error(404)
        width, height = artwork_size(album.artwork_side, width, height, name["crop"])
        rendered = self._images.get(ImageSpec(f"itunes:{album.id}", width, height, JPEG_QUALITY))
        headers = {"ETag": rendered.etag, "Cache-Control": ARTWORK_CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=rendered.body, content_type="image/jpeg", headers=headers)

    # --- control endpoints ------------------------------------------------------------

    async def _control_calls(self, request: web.Request) -> web.Response:
        artwork = self._artwork_log.as_json()
        return web.json_response(
            self._log.as_json()
            | {
                "artwork_calls": artwork["calls"],
                "artwork_calls_by_path": artwork["calls_by_path"],
                "mode": self.mode,
            }
        )


def release_date_of(item: Item) -> str:
    """``sort=recent``'s key: an album's or track's date (artists have none)."""
    return "" if isinstance(item, Artist) else item.release_date


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.itunes --port 8768``."""
    parser = argparse.ArgumentParser(description="Run the iTunes Search API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--rate-limit", type=int, default=20)
    parser.add_argument("--window-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    emulator = ITunesEmulator(rate_limit=args.rate_limit, window_seconds=args.window_seconds)
    print(f"iTunes Search API emulator on http://{args.host}:{args.port}")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
