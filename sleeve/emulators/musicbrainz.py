"""An emulator of the MusicBrainz web service (``/ws/2``) for sleeve's tests.

It serves the invented catalogue of ``metabrainz_data`` over real HTTP with the service's
paths, representations, status codes and error bodies:

- lookups ``/ws/2/{entity}/{mbid}?inc=…`` (``inc`` checked per entity, see
  ``musicbrainz_includes``);
- look-ups by code: ``/ws/2/isrc/{isrc}`` (its recordings), ``/ws/2/iswc/{iswc}`` (its
  works), ``/ws/2/discid/{discid}?toc&cdstubs&media-format`` (the disc and its releases, a
  CD stub, or the releases whose media fit the TOC: each track within 10 s);
- ``/ws/2/genre/all`` (paged; ``fmt=txt`` or ``Accept: text/plain``: every name, a line each);
- browse ``/ws/2/{entity}?{linked entity}={mbid}&limit&offset`` and search
  ``/ws/2/{entity}?query=…`` (both also with a trailing slash, as musicbrainzngs asks; URLs
  are searched too);
- reverse URL lookups ``/ws/2/url?resource=…`` (one or several ``resource``);
- XML by default, JSON with ``fmt=json`` or ``Accept: application/json``;
- 400 ``Invalid mbid.`` / bad ``inc``, 404 ``Not Found``, 403 without a User-Agent, and 503
  with MusicBrainz' rate-limit message past ``rate_limit`` requests per ``window_seconds``
  (moving window, default 1/s like the real per-IP limit).

Usage from async tests::

    emulator = MusicBrainzEmulator()
    async with emulator.serve() as base_url:   # http://127.0.0.1:PORT; API under /ws/2/
        ...
    assert emulator.calls_by_path[f"/ws/2/release/{mbid}"] == 1

``set_mode`` makes it misbehave like the Discogs emulator (ok, delay, error, drop, garbage,
ratelimited). Out of process: ``python -m sleeve.emulators.musicbrainz --port 8766``,
controlled over ``/_emulator/mode``, ``/_emulator/calls`` and ``/_emulator/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import itertools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from .discogs_access import MovingWindowLimiter
from .metabrainz_common import CallLog, CountedEmulator, ModeSwitch, drop
from .metabrainz_data import KINDS, Doc, Medium, MetaBrainzCatalogue, build_catalogue
from .musicbrainz_docs import DocumentBuilder
from .musicbrainz_includes import USER_INCLUDES, IncludeError, parse_includes
from .musicbrainz_search import BROWSE_LINKS, Searcher
from .musicbrainz_xml import (
    HELP,
    render_cdstub,
    render_disc,
    render_entity,
    render_error,
    render_isrc,
    render_list,
)
from .serving import serve_app

API_PREFIX = "/ws/2"
CONTROL_PREFIX = "/_emulator/"
RATE_LIMITED = (
    "Your requests are exceeding the allowable rate limit. "
    "Please see https://wiki.musicbrainz.org/XMLWebService for more information."
)
# Not worded from a recorded answer: the real 403 comes from the front-end proxy.
NO_USER_AGENT = (
    "Your requests are being blocked because they carry no User-Agent. Please identify your "
    "application, see https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting"
)
INVALID_MBID = "Invalid mbid."
NOT_FOUND = "Not Found"
AUTH_REQUIRED = "Authentication required"  # user-* includes; the emulator has no accounts
BROWSE_NEEDS_LINK = "Invalid browse request: give exactly one linked entity, or a query."
SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
_MBID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")  # capitals only, as MusicBrainz checks
_ISWC = re.compile(r"T-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}[-.]?[0-9]")
_DISCID = re.compile(r"[A-Za-z0-9._-]{27}-")  # a prefix: MusicBrainz does not anchor its end
_TOC = re.compile(r"\d+(?: \d+)*")
DISCID_LIMIT = 25  # a disc ID look-up pages through at most 25 releases
TOC_FUZZ_MS = 10_000  # each track of a medium within 10 s of the TOC's, as MusicBrainz
# Formats that can have disc IDs: only their media fit a TOC, unless ``media-format=all``.
DISC_FORMATS = frozenset({"CD", "CD-R", "Enhanced CD", "HDCD", "SACD", "Hybrid SACD", "DualDisc"})
IS_JSON = web.RequestKey("musicbrainz_json", bool)


class MusicBrainzError(Exception):
    """An error answer: status plus MusicBrainz' ``error``/``help`` body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def wants_json(request: web.Request) -> bool:
    """``fmt=json`` wins; without ``fmt``, ``Accept: application/json`` picks JSON."""
    fmt = request.query.get("fmt")
    if fmt is not None:
        return fmt.lower() == "json"
    return "application/json" in request.headers.get("Accept", "").lower()


def document_response(body: bytes, as_json: bool, status: int = 200) -> web.Response:
    content_type = "application/json" if as_json else "application/xml"
    return web.Response(body=body, status=status, content_type=content_type, charset="utf-8")


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def error_response(error: MusicBrainzError, as_json: bool) -> web.Response:
    if as_json:
        body = json_bytes({"error": error.message, "help": HELP})
    else:
        body = render_error(error.message)
    response = document_response(body, as_json, error.status)
    response.headers.update(error.headers)
    return response


def check_mbid(value: str) -> str:
    if not _MBID.fullmatch(value):
        raise MusicBrainzError(400, INVALID_MBID)
    return value.lower()


def _int_param(query: Any, name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        return default


def page_params(query: Any) -> tuple[int, int]:
    """``limit`` (1-100, default 25) and ``offset`` (>= 0)."""
    limit = _int_param(query, "limit", DEFAULT_LIMIT)
    limit = DEFAULT_LIMIT if limit < 1 else min(limit, MAX_LIMIT)
    return limit, max(0, _int_param(query, "offset", 0))


def plural(kind: str) -> str:
    return kind if kind == "series" else f"{kind}s"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MusicBrainzEmulator(CountedEmulator):
    """The emulator's state (catalogue, counters, mode, rate limit) and its app."""

    def __init__(
        self,
        *,
        rate_limit: int = 1,
        window_seconds: float = 1.0,
        catalogue: MetaBrainzCatalogue | None = None,
    ) -> None:
        self.catalogue = catalogue or build_catalogue()
        self.docs = DocumentBuilder(self.catalogue)
        self.searcher = Searcher(self.catalogue, self.docs)
        self.limiter = MovingWindowLimiter(rate_limit, window_seconds)
        self._log = CallLog()
        self._mode = ModeSwitch(default_status=503)

    # --- counters and settings ----------------------------------------------------------

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

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """Switch behaviour: ``ok``, ``delay`` (``seconds``), ``error`` (``status``, default
        503, ``message``), ``drop``, ``garbage`` (``body``), ``ratelimited`` (a 503 with the
        rate-limit message and ``Retry-After: retry_after``). ``times=N``: next N requests."""
        self._mode.set(mode, times=times, **options)

    @property
    def mode(self) -> str:
        return self._mode.name

    def reset(self) -> None:
        """Forget calls, rate-limit windows and failure modes (settings stay)."""
        self._log.clear()
        self._mode.reset()
        self.limiter.clear()

    # --- app ------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(API_PREFIX + "/isrc/{isrc}", self._isrc)
        app.router.add_get(API_PREFIX + "/iswc/{iswc}", self._iswc)
        app.router.add_get(API_PREFIX + "/discid/{discid}", self._discid)
        app.router.add_get(API_PREFIX + "/genre/all", self._genres)
        app.router.add_get(API_PREFIX + "/{kind}/{mbid}", self._lookup)
        app.router.add_get(API_PREFIX + "/{kind}", self._collection)
        app.router.add_get(API_PREFIX + "/{kind}/", self._collection)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run the emulator on ``host:port`` (0 = any free port); yields its base URL
        (without ``/ws/2``, like a configured MusicBrainz host)."""
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    # --- the request pipeline ---------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        self._log.record(request)
        as_json = wants_json(request)
        request[IS_JSON] = as_json
        mode = self._mode.take()
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
        elif mode.name == "drop":
            return await drop(request)
        elif mode.name == "garbage":
            return document_response(mode.body, as_json)
        elif mode.name == "error":
            message = mode.message or SERVER_ERRORS.get(mode.status, "Internal Server Error")
            return error_response(MusicBrainzError(mode.status, message), as_json)
        elif mode.name == "ratelimited":
            headers = {"Retry-After": str(mode.retry_after)}
            return error_response(MusicBrainzError(503, RATE_LIMITED, headers), as_json)
        try:
            if not request.headers.get("User-Agent"):
                raise MusicBrainzError(403, NO_USER_AGENT)
            decision = self.limiter.acquire()
            if not decision.allowed:
                headers = {"Retry-After": str(decision.retry_after)}
                raise MusicBrainzError(503, RATE_LIMITED, headers)
            routing_error = request.match_info.http_exception
            if isinstance(routing_error, web.HTTPMethodNotAllowed):
                raise MusicBrainzError(405, "Method Not Allowed", {"Allow": "GET, HEAD"})
            if routing_error is not None:
                raise MusicBrainzError(404, NOT_FOUND)
            return await handler(request)
        except MusicBrainzError as error:
            return error_response(error, as_json)

    def _respond(self, request: web.Request, kind: str, doc: Doc) -> web.Response:
        as_json = request[IS_JSON]
        body = json_bytes(doc) if as_json else render_entity(kind, doc)
        return document_response(body, as_json)

    def _respond_list(
        self,
        request: web.Request,
        kind: str,
        docs: list[Doc],
        count: int,
        offset: int,
        *,
        search: bool = False,
    ) -> web.Response:
        as_json = request[IS_JSON]
        created = None
        if search:
            now = datetime.datetime.now(datetime.UTC)
            created = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if not as_json:
            return document_response(render_list(kind, docs, count, offset, created=created), False)
        if search:
            body: Doc = {"created": created, "count": count, "offset": offset}
        else:
            body = {f"{kind}-count": count, f"{kind}-offset": offset}
        body[plural(kind)] = docs
        return document_response(json_bytes(body), True)

    @staticmethod
    def _includes(kind: str, request: web.Request, *, browse: bool = False) -> frozenset[str]:
        try:
            includes = parse_includes(kind, request.query.get("inc"), browse=browse)
        except IncludeError as error:
            raise MusicBrainzError(400, str(error)) from None
        if includes & USER_INCLUDES:
            raise MusicBrainzError(401, AUTH_REQUIRED)
        return includes

    # --- endpoints ------------------------------------------------------------------------

    async def _lookup(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in KINDS:
            raise MusicBrainzError(404, NOT_FOUND)
        entity_id = check_mbid(request.match_info["mbid"])
        includes = self._includes(kind, request)
        if self.catalogue.get(kind, entity_id) is None:
            raise MusicBrainzError(404, NOT_FOUND)
        return self._respond(request, kind, self.docs.lookup(kind, entity_id, includes))

    async def _isrc(self, request: web.Request) -> web.Response:
        isrc = request.match_info["isrc"]
        if not _ISRC.fullmatch(isrc):
            raise MusicBrainzError(400, "Invalid isrc.")
        includes = self._includes("isrc", request)
        found = [r for r, codes in self.catalogue.isrcs.items() if isrc in codes]
        if not found:
            raise MusicBrainzError(404, NOT_FOUND)
        docs = [self.docs.lookup("recording", r, includes) for r in found]
        if request[IS_JSON]:
            return document_response(json_bytes({"isrc": isrc, "recordings": docs}), True)
        return document_response(render_isrc(isrc, docs), False)

    async def _iswc(self, request: web.Request) -> web.Response:
        """The works with the ISWC exactly as kept (``T-123.456.789-0``): MusicBrainz
        accepts the other spellings and finds nothing for them."""
        iswc = request.match_info["iswc"]
        if not _ISWC.fullmatch(re.sub(r"\s", "", iswc)):
            raise MusicBrainzError(400, "Invalid iswc.")
        includes = self._includes("iswc", request)
        works = self.catalogue.entities["work"]
        found = sorted(w for w, doc in works.items() if iswc in doc.get("iswcs", []))
        if not found:
            raise MusicBrainzError(404, NOT_FOUND)
        docs = [self.docs.lookup("work", w, includes) for w in found]
        return self._respond_list(request, "work", docs, len(docs), 0)

    async def _discid(self, request: web.Request) -> web.Response:
        """A known disc and its releases; else (unless ``cdstubs=no``) its CD stub; else,
        with ``toc``, the releases whose media fit it; else 404."""
        discid, query = request.match_info["discid"], request.query
        toc = query.get("toc")
        by_id = _DISCID.match(discid) is not None
        if not by_id and toc is None:
            raise MusicBrainzError(400, "Invalid discid.")
        cdstubs = query.get("cdstubs")
        if cdstubs and cdstubs not in ("yes", "no"):
            raise MusicBrainzError(400, 'Invalid argument "cdstubs": must be "yes" or "no"')
        includes = self._includes("discid", request) | {"media", "discids"}
        limit, offset = page_params(query)
        limit = min(limit, DISCID_LIMIT)
        as_json = request[IS_JSON]
        if by_id and discid in self.catalogue.discs:
            releases = self.catalogue.releases_with_disc(discid)[offset : offset + limit]
            doc = self.docs.disc(self.catalogue.discs[discid])
            doc["releases"] = [self.docs.lookup("release", r, includes) for r in releases]
            return document_response(json_bytes(doc) if as_json else render_disc(doc), as_json)
        stub = self.catalogue.cdstubs.get(discid) if by_id and cdstubs != "no" else None
        if stub is not None:
            doc = self.docs.cdstub(stub)
            return document_response(json_bytes(doc) if as_json else render_cdstub(doc), as_json)
        if toc is not None:
            lengths = _toc_lengths(toc)
            if lengths is None:
                raise MusicBrainzError(400, "Invalid TOC")
            fitting = self._fitting(lengths, query.get("media-format") == "all")
            docs = [self.docs.lookup("release", r, includes) for r in fitting]
            page = docs[offset : offset + limit]
            if as_json:  # MusicBrainz' JSON lists its entities by MBID
                page = sorted(page, key=lambda doc: doc["id"])
            return self._respond_list(request, "release", page, len(docs), offset)
        raise MusicBrainzError(404, NOT_FOUND)

    def _fitting(self, lengths: list[int], all_formats: bool) -> list[str]:
        """Releases with a medium of as many tracks, each within 10 s of the TOC's, the
        closest first (MusicBrainz' distance: the Euclidean one, in ms)."""

        def distance(medium: Medium) -> float | None:
            tracks = [track.length for track in medium.tracks]
            if len(tracks) != len(lengths) or None in tracks:
                return None
            if not all_formats and medium.format not in DISC_FORMATS:
                return None
            gaps = [abs((t or 0) - want) for t, want in zip(tracks, lengths, strict=True)]
            if max(gaps) > TOC_FUZZ_MS:
                return None
            return float(sum(gap * gap for gap in gaps)) ** 0.5

        found = []
        for release, media in self.catalogue.media.items():
            distances = [d for d in map(distance, media) if d is not None]
            if distances:
                found.append((min(distances), release))
        return [release for _, release in sorted(found)]

    async def _genres(self, request: web.Request) -> web.Response:
        """Every genre by name; ``fmt=txt`` (or ``Accept: text/plain``) as names, one a
        line, whatever ``limit`` and ``offset`` say."""
        fmt = request.query.get("fmt")
        accept = request.headers.get("Accept", "").lower()
        names = sorted(self.catalogue.genre_list)
        if fmt == "txt" or (fmt is None and "text/plain" in accept):
            text = "\n".join(name for name, _ in names)
            return web.Response(text=text, content_type="text/plain", charset="utf-8")
        limit, offset = page_params(request.query)
        docs: list[Doc] = [
            {"id": self.docs.genre_id(name), "name": name, "disambiguation": comment}
            for name, comment in names[offset : offset + limit]
        ]
        return self._respond_list(request, "genre", docs, len(names), offset)

    async def _collection(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in KINDS:
            raise MusicBrainzError(404, NOT_FOUND)
        if kind == "url" and "resource" in request.query:
            return self._urls(request)
        if "query" in request.query:
            return self._search(request, kind)
        return self._browse(request, kind)

    def _urls(self, request: web.Request) -> web.Response:
        """Reverse lookups: one ``resource`` → the url entity (404 if unknown); several →
        a ``url-list`` of the known ones."""
        includes = self._includes("url", request)
        resources = request.query.getall("resource")
        found = [self.catalogue.url_by_resource(r) for r in resources]
        docs = [self.docs.lookup("url", u["id"], includes) for u in found if u is not None]
        if len(resources) == 1:
            if not docs:
                raise MusicBrainzError(404, NOT_FOUND)
            return self._respond(request, "url", docs[0])
        return self._respond_list(request, "url", docs, len(docs), 0)

    def _search(self, request: web.Request, kind: str) -> web.Response:
        query = request.query.get("query", "").strip()
        if not query:
            raise MusicBrainzError(400, "You must specify a query.")
        limit, offset = page_params(request.query)
        hits = self.searcher.search(kind, query)
        docs = [
            self.searcher.result_doc(kind, entity_id, score)
            for entity_id, score in hits[offset : offset + limit]
        ]
        return self._respond_list(request, kind, docs, len(hits), offset, search=True)

    def _browse(self, request: web.Request, kind: str) -> web.Response:
        links = [link for link in BROWSE_LINKS.get(kind, ()) if link in request.query]
        if len(links) != 1:
            raise MusicBrainzError(400, BROWSE_NEEDS_LINK)
        link = links[0]
        linked_id = check_mbid(request.query[link])
        includes = self._includes(kind, request, browse=True)
        linked_kind = "artist" if link == "track_artist" else link
        if self.catalogue.get(linked_kind, linked_id) is None:
            raise MusicBrainzError(404, NOT_FOUND)
        found = self.searcher.browse(kind, link, linked_id)
        if kind in ("release", "release-group"):
            keep = self.searcher.release_filter(
                kind, request.query.get("type"), request.query.get("status")
            )
            found = [entity_id for entity_id in found if keep(entity_id)]
        limit, offset = page_params(request.query)
        docs = [self.docs.lookup(kind, e, includes) for e in found[offset : offset + limit]]
        return self._respond_list(request, kind, docs, len(found), offset)

    # --- control endpoints (for tests running the emulator out of process) -------------

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response(self._log.as_json() | {"mode": self.mode})


def _toc_lengths(toc: str) -> list[int] | None:
    """The track lengths (ms) of a TOC, ``1 last lead-out offset…`` in sectors, or None
    where MusicBrainz finds it invalid: not track 1 first, more than 99 tracks, not one
    offset per track, offsets not rising, the lead-out not after the last."""
    written = toc.replace("+", " ").strip()
    if not _TOC.fullmatch(written):
        return None
    numbers = [int(n) for n in written.split(" ")]
    if len(numbers) < 4:
        return None
    first, last, lead_out, *offsets = numbers
    if first != 1 or not 1 <= last <= 99 or len(offsets) != last:
        return None
    ends = [*offsets, lead_out]
    if any(later <= earlier for earlier, later in itertools.pairwise(ends)):
        return None
    return [(later - earlier) * 1000 // 75 for earlier, later in itertools.pairwise(ends)]


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.musicbrainz --port 8766``."""
    parser = argparse.ArgumentParser(description="Run the MusicBrainz web service emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--rate-limit", type=int, default=1)
    parser.add_argument("--window-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    emulator = MusicBrainzEmulator(rate_limit=args.rate_limit, window_seconds=args.window_seconds)
    print(f"MusicBrainz emulator on http://{args.host}:{args.port}{API_PREFIX}/")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
