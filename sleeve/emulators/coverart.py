"""An emulator of the Cover Art Archive (coverartarchive.org) *and* of the archive.org
download host behind it, both on one port, for sleeve's tests.

The API side follows the CAA documentation (seed 004) and recorded answers:

- ``/release/{mbid}[/]`` and ``/release-group/{mbid}[/]``: the JSON listing (``images`` with
  ``types, front, back, comment, approved, edit, id, image, thumbnails{250, 500, 1200,
  small, large}`` and ``release``), image URLs absolute on the emulator itself;
- ``/release/{mbid}/(front|back|{id})[-250|-500|-1200][.jpg]`` and
  ``/release-group/{mbid}/front[-size][.jpg]``: **307** to the download host;
- 400 for an unparseable MBID, 404 for no release / no art / no chosen front or back /
  unknown id, 405 for methods other than GET and HEAD, 406 for a listing whose ``Accept``
  rules out JSON, 503 past ``rate_limit`` (default: unlimited, as documented) or when a
  failure mode says so.

The download side answers ``/download/mbid-{mbid}/mbid-{mbid}-{id}[_thumb250|_thumb500|
_thumb1200].jpg`` (archive.org's naming) with real JPEG bytes, deterministic per image and
size: the full image at its catalogue size (1400 px on the long side for most), thumbnails
scaled to 250/500/1200 px on the long side. Its calls are counted apart
(``download_calls``, ``download_calls_by_path``) and it has no rate limit.

OPTIONS: the documentation promises an empty answer with ``Allow``, but the real service
never implemented it (CAA-56). The emulator answers **405** with ``Allow: GET, HEAD`` —
chosen over an empty 200 with a wrong ``Allow`` because a client that relied on OPTIONS
then fails loudly in tests instead of trusting a made-up method list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from .discogs import RecordedRequest
from .discogs_access import MovingWindowLimiter
from .discogs_images import ImageSpec, ImageStore, etag_matches
from .metabrainz_common import CallLog, CountedEmulator, ModeSwitch, drop
from .metabrainz_data import CoverImage, MetaBrainzCatalogue, build_catalogue
from .serving import serve_app

DOWNLOAD_PREFIX = "/download/"
CONTROL_PREFIX = "/_emulator/"
ALLOWED = "GET, HEAD"
THUMBNAIL_SIZES = ("250", "500", "1200")
SIZE_ALIASES = {"small": "250", "large": "500"}
JPEG_QUALITY = 90
CACHE_CONTROL = "public, max-age=31536000"
_MBID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_IMAGE_NAME = re.compile(
    r"(?P<which>front|back|\d+)(?:-(?P<size>250|500|1200|small|large))?(?:\.jpg)?"
)
_DOWNLOAD = re.compile(
    r"mbid-(?P<item>[0-9a-f-]{36})/mbid-(?P<mbid>[0-9a-f-]{36})-(?P<id>\d+)"
    r"(?:_thumb(?P<size>250|500|1200))?\.jpg"
)
MESSAGES = {
    400: "invalid MBID specified",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable: the listing is only available as application/json",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
RATE_LIMITED = "Rate limit exceeded"


class CoverArtError(Exception):
    """An error answer; the CAA answers errors as short plain text."""

    def __init__(self, status: int, message: str | None = None, **headers: str) -> None:
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.message = message or MESSAGES.get(status, "")
        self.headers = headers


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=message, headers=headers, content_type="text/plain")


def accepts_json(accept: str | None) -> bool:
    """Whether an ``Accept`` header allows ``application/json`` (no header allows all)."""
    if not accept:
        return True
    for part in accept.split(","):
        media_type, *params = (p.strip() for p in part.split(";"))
        quality = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
        try:
            if float(quality) <= 0:
                continue
        except ValueError:
            continue
        if media_type.lower() in ("application/json", "application/*", "*/*"):
            return True
    return False


def thumbnail_size(width: int, height: int, size: str | None) -> tuple[int, int]:
    """``size`` px on the long side (never enlarged); the full size without ``size``."""
    if size is None:
        return width, height
    target = min(int(size), max(width, height))
    scale = target / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CoverArtEmulator(CountedEmulator):
    """State (catalogue, counters, mode, limit, rendered images) and the app."""

    def __init__(
        self,
        *,
        catalogue: MetaBrainzCatalogue | None = None,
        rate_limit: int | None = None,
        window_seconds: float = 1.0,
    ) -> None:
        self.catalogue = catalogue or build_catalogue()
        self.limiter = (
            MovingWindowLimiter(rate_limit, window_seconds) if rate_limit is not None else None
        )
        self._log = CallLog()
        self._download_log = CallLog()
        self._mode = ModeSwitch(default_status=503)
        self._images = ImageStore()

    # --- counters and settings --------------------------------------------------------

    @property
    def download_calls(self) -> int:
        return self._download_log.calls

    @property
    def download_calls_by_path(self) -> Counter[str]:
        return self._download_log.calls_by_path

    @property
    def download_requests(self) -> list[RecordedRequest]:
        return self._download_log.requests

    def set_mode(self, mode: str, *, times: int | None = None, **options: Any) -> None:
        """``ok``, ``delay`` (``seconds``), ``error`` (``status``, default 503, ``message``),
        ``drop``, ``garbage`` (``body``), ``ratelimited`` (503). Applies to API and
        download requests alike; ``times=N`` counts both."""
        self._mode.set(mode, times=times, **options)

    @property
    def mode(self) -> str:
        return self._mode.name

    def reset(self) -> None:
        """Forget calls, the rate-limit window and failure modes (settings stay)."""
        self._log.clear()
        self._download_log.clear()
        self._mode.reset()
        if self.limiter is not None:
            self.limiter.clear()

    def image_url(self, base_url: str, release: str, image_id: str, size: str | None = None) -> str:
        """The listing's URL for an image (``size`` None, "250", "500" or "1200")."""
        suffix = f"-{size}" if size else ""
        return f"{base_url.rstrip('/')}/release/{release}/{image_id}{suffix}.jpg"

    def download_url(
        self, base_url: str, release: str, image_id: str, size: str | None = None
    ) -> str:
        """Where the API redirects for an image: the archive.org-style download path."""
        suffix = f"_thumb{size}" if size else ""
        item = f"mbid-{release}"
        return f"{base_url.rstrip('/')}{DOWNLOAD_PREFIX}{item}/{item}-{image_id}{suffix}.jpg"

    # --- app --------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        for entity in ("release", "release-group"):
            app.router.add_route("*", f"/{entity}/{{mbid}}", self._listing)
            app.router.add_route("*", f"/{entity}/{{mbid}}/", self._listing)
            app.router.add_route("*", f"/{entity}/{{mbid}}/{{name}}", self._image)
        app.router.add_route("*", DOWNLOAD_PREFIX + "{path:.+}", self._download)
        app.router.add_post(CONTROL_PREFIX + "mode", self._control_mode)
        app.router.add_get(CONTROL_PREFIX + "calls", self._control_calls)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        return app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run on ``host:port`` (0 = any free port); yields the base URL."""
        async with serve_app(self.make_app(), host, port) as url:
            yield url

    # --- pipeline -----------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        download = request.path.startswith(DOWNLOAD_PREFIX)
        (self._download_log if download else self._log).record(request)
        mode = self._mode.take()
        if mode.name == "delay":
            await asyncio.sleep(mode.seconds)
        elif mode.name == "drop":
            return await drop(request)
        elif mode.name == "garbage":
            content_type = "image/jpeg" if download else "application/json"
            return web.Response(body=mode.body, content_type=content_type)
        elif mode.name in ("error", "ratelimited"):
            status = 503 if mode.name == "ratelimited" else mode.status
            message = RATE_LIMITED if mode.name == "ratelimited" else mode.message
            return text_response(status, message or MESSAGES.get(status, "Error"))
        try:
            if not download and self.limiter is not None and not self.limiter.acquire().allowed:
                raise CoverArtError(503, RATE_LIMITED)
            if request.match_info.http_exception is not None:
                raise CoverArtError(404)
            if request.method not in ("GET", "HEAD"):
                raise CoverArtError(405, Allow=ALLOWED)
            return await handler(request)
        except CoverArtError as error:
            return text_response(error.status, error.message, error.headers)

    def _base_url(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    @staticmethod
    def _mbid(request: web.Request) -> str:
        value = request.match_info["mbid"]
        if not _MBID.fullmatch(value):
            raise CoverArtError(400)
        return value.lower()

    def _art_release(self, entity: str, entity_id: str) -> str:
        """The release whose images answer for ``entity_id`` (404 if none has art)."""
        if entity == "release":
            if not self.catalogue.cover_art.get(entity_id):
                raise CoverArtError(404)
            return entity_id
        if self.catalogue.get("release-group", entity_id) is None:
            raise CoverArtError(404)
        release = self.catalogue.release_group_art(entity_id)
        if release is None:
            raise CoverArtError(404)
        return release

    def _image_doc(self, base_url: str, release: str, image: CoverImage) -> dict[str, Any]:
        thumbnails = {
            size: self.image_url(base_url, release, image.id, size) for size in THUMBNAIL_SIZES
        }
        thumbnails |= {alias: thumbnails[size] for alias, size in SIZE_ALIASES.items()}
        return {
            "types": list(image.types),
            "front": image.front,
            "back": image.back,
            "comment": image.comment,
            "image": self.image_url(base_url, release, image.id),
            "thumbnails": thumbnails,
            "approved": image.approved,
            "edit": image.edit,
            "id": image.id,
        }

    # --- endpoints ----------------------------------------------------------------------

    async def _listing(self, request: web.Request) -> web.Response:
        entity = request.path.split("/")[1]
        entity_id = self._mbid(request)
        if not accepts_json(request.headers.get("Accept")):
            raise CoverArtError(406)
        release = self._art_release(entity, entity_id)
        base_url = self._base_url(request)
        images = self.catalogue.cover_art[release]
        if entity == "release-group":
            images = [i for i in images if i.front]
        body = {
            "images": [self._image_doc(base_url, release, i) for i in images],
            "release": f"https://musicbrainz.org/release/{release}",
        }
        headers = {"Access-Control-Allow-Origin": "*"}
        return web.json_response(body, headers=headers)

    async def _image(self, request: web.Request) -> web.Response:
        entity = request.path.split("/")[1]
        entity_id = self._mbid(request)
        match = _IMAGE_NAME.fullmatch(request.match_info["name"])
        if match is None or (entity == "release-group" and match["which"] != "front"):
            raise CoverArtError(404)
        release = self._art_release(entity, entity_id)
        image = self._find(release, match["which"])
        size = SIZE_ALIASES.get(match["size"] or "", match["size"])
        location = self.download_url(self._base_url(request), release, image.id, size)
        return web.Response(status=307, headers={"Location": location})

    def _find(self, release: str, which: str) -> CoverImage:
        for image in self.catalogue.cover_art.get(release, []):
            if (which == "front" and image.front) or (which == "back" and image.back):
                return image
            if which == image.id:
                return image
        raise CoverArtError(404)

    async def _download(self, request: web.Request) -> web.Response:
        match = _DOWNLOAD.fullmatch(request.match_info["path"])
        if match is None or match["item"] != match["mbid"] or request.query_string:
            raise CoverArtError(404)
        image = self._find(match["mbid"], match["id"])
        width, height = thumbnail_size(image.width, image.height, match["size"])
        source = f"caa:{match['mbid']}:{image.id}"
        rendered = self._images.get(ImageSpec(source, width, height, JPEG_QUALITY))
        headers = {"ETag": rendered.etag, "Cache-Control": CACHE_CONTROL}
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=rendered.body, content_type="image/jpeg", headers=headers)

    # --- control endpoints ------------------------------------------------------------

    async def _control_calls(self, request: web.Request) -> web.Response:
        downloads = self._download_log.as_json()
        return web.json_response(
            self._log.as_json()
            | {
                "download_calls": downloads["calls"],
                "download_calls_by_path": downloads["calls_by_path"],
                "mode": self.mode,
            }
        )


def main(argv: list[str] | None = None) -> None:
    """``python -m sleeve.emulators.coverart --port 8767``."""
    parser = argparse.ArgumentParser(description="Run the Cover Art Archive emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--rate-limit", type=int, default=None)
    parser.add_argument("--window-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    emulator = CoverArtEmulator(rate_limit=args.rate_limit, window_seconds=args.window_seconds)
    print(f"Cover Art Archive emulator on http://{args.host}:{args.port}")
    web.run_app(emulator.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
