"""``sleeve demo``: the gateway in front of sample upstreams, to try with nothing to set up.

No credentials and no network: the sample Discogs, MusicBrainz, Cover Art Archive and
iTunes (:mod:`sleeve.emulators.samples`, with their invented catalogue) start on free ports of
127.0.0.1, and a gateway wired to them (cache, image store and archive in a temporary
folder, removed at the end) serves on ``--port``. It prints where to go and how to point
a client at it, and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import signal
import socket
import sys
import tempfile
import warnings
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

from ..config import Settings, load_settings
from .serve import server_config

if TYPE_CHECKING:  # the emulators are imported when the demo runs, not for every command
    from ..emulators.samples import SampleUpstreams

__all__ = ["add_parser", "demo_settings", "run", "tour"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "demo", help="run the gateway in front of sample upstreams (offline, no credentials)"
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.set_defaults(run=run, config=None)
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    host, port = settings.server.host, settings.server.port
    if not _can_listen(host, port):
        print(f"sleeve demo: {host}:{port} is taken; try --port {port + 1}", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from ..app import create_app
    from ..emulators.samples import running_samples

    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # so that SIGTERM, too, cleans up below
    try:
        with (
            tempfile.TemporaryDirectory(prefix="sleeve-demo-") as state,
            running_samples(host) as samples,
        ):
            demo = demo_settings(samples, pathlib.Path(state), host=host, port=port)
            print(tour(f"http://{_url_host(host)}:{port}", samples), flush=True)
            uvicorn.Server(server_config(create_app(demo), demo)).run()
    except KeyboardInterrupt:
        pass
    print("sleeve demo: stopped.", flush=True)
    return 0


def demo_settings(samples: SampleUpstreams, state: pathlib.Path, **server: Any) -> Settings:
    """The gateway's settings for the demo: everything it keeps under ``state``, every
    upstream a sample one, images fetched from the samples' hosts without a client key."""
    return load_settings(
        server={"log_level": "warning", **server},
        cache={"backend": "sqlite", "path": str(state / "cache.db")},
        upstreams=samples.gateway_upstreams(),
        images={
            "path": str(state / "images"),
            "allowed_hosts": samples.image_hosts(),
            "require_key": False,  # so that a browser can show them
        },
        acousticbrainz={"path": str(state / "acousticbrainz.db")},
    )


def tour(base: str, samples: SampleUpstreams) -> str:
    """What to try, and how to point clients at ``base``."""
    from ..emulators.samples import (
        SAMPLE_ART_MBID,
        SAMPLE_RELEASE_ID,
        SAMPLE_RELEASE_MBID,
        SAMPLE_UPC,
    )
    from ..itunes.artwork import artwork_on_sleeve

    release = f"{base}/releases/{SAMPLE_RELEASE_ID}"
    mb_release = f"{base}/ws/2/release/{SAMPLE_RELEASE_MBID}"
    tries = [
        (release, "a Discogs release"),
        (f"{base}/artists/1/releases?per_page=5", "a page; its links point at sleeve"),
        (f"{base}/database/search?q=fictional&type=release", "a search"),
        (f"{mb_release}?inc=artists+labels", "a MusicBrainz release, XML"),
        (f"{mb_release}?inc=artists&fmt=json", "the same as JSON"),
        (f"{base}/images/releases/{SAMPLE_RELEASE_ID}/0?size=250", "an image, made 250 px"),
        (f"{base}/release/{SAMPLE_ART_MBID}/front-250", "Cover Art Archive front art"),
        (f"{base}/lookup?upc={SAMPLE_UPC}&entity=song", "an iTunes album and its songs"),
        (
            artwork_on_sleeve(samples.itunes_artwork_url(600), base),
            "its artwork, 600 px (any NxNbb.jpg)",
        ),
        (f"{base}/v1/search?q=upc:{SAMPLE_UPC}&type=album", "Spotify, with sleeve's token"),
        (f"{base}/v2/albums?countryCode=US&filter[barcodeId]={SAMPLE_UPC}", "TIDAL, by barcode"),
        (f"{base}/barcode/{SAMPLE_UPC}", "that barcode in every source, grouped"),
        (f"{base}/docs", "the API docs (try any operation there)"),
        (f"{base}/_sleeve/images/stats.html", "image statistics"),
        (f"{base}/_sleeve/cache/stats", "cache hits and misses"),
        (f"{base}/openapi.json", "the contract, for SDK generators"),
    ]
    width = max(len(what) for _, what in tries)
    lines = [
        f"sleeve demo: a gateway at {base}, in front of sample upstreams",
        f"  (Discogs {samples.discogs_url}, MusicBrainz {samples.musicbrainz_url},",
        f"   Cover Art Archive {samples.coverart_url}, iTunes {samples.itunes_url},",
        f"   Spotify {samples.spotify_url}, TIDAL {samples.tidal_url};",
        "   invented data, real limits)",
        "",
        "Try:",
        *(f"  {what.ljust(width)}  {url}" for url, what in tries),
        "",
        "Clients:",
        f"  curl -i {release}   # twice: the second is a cache hit (Cache-Status)",
        "  python3-discogs-client:",
        "    c = discogs_client.Client('MyApp/1.0')",
        f"    c._base_url = '{base}'",
        f"    print(c.release({SAMPLE_RELEASE_ID}).title)",
        "  musicbrainzngs:",
        "    musicbrainzngs.set_useragent('MyApp', '1.0')",
        f"    musicbrainzngs.set_hostname('{base.removeprefix('http://')}', use_https=False)",
        "",
        "Ctrl-C stops it (and removes what it kept).",
    ]
    return "\n".join(lines)


def _can_listen(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
