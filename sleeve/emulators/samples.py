"""The sample upstreams: a Discogs (with its image host), a MusicBrainz, a Cover Art
Archive and an iTunes Search API (with its artwork host), each an emulator on a free port
of 127.0.0.1 serving the invented catalogue.

``sleeve demo`` runs the gateway in front of them, so sleeve can be tried with no
credentials and no network; the tests run the same emulators. Their limits are the real
upstreams' (Discogs 60 a minute, MusicBrainz 1 a second, iTunes 20 a minute), so what
the demo shows about governance is true.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from .coverart import CoverArtEmulator
from .discogs import DiscogsEmulator, EmulatorThread
from .itunes import ARTWORK_PREFIX, ITunesEmulator
from .itunes_data import FICTIONAL_FREQUENCIES_ID, FICTIONAL_FREQUENCIES_UPC
from .metabrainz_data import DISCOGS_LINKED_RELEASE_MBID, RELEASE_WITH_ART_MBID
from .musicbrainz import MusicBrainzEmulator
from .spotify import DEFAULT_CLIENT_ID as SPOTIFY_CLIENT_ID
from .spotify import DEFAULT_CLIENT_SECRET as SPOTIFY_CLIENT_SECRET
from .spotify import TOKEN_PATH as SPOTIFY_TOKEN_PATH
from .spotify import SpotifyEmulator
from .tidal import TOKEN_PATH as TIDAL_TOKEN_PATH
from .tidal import TidalEmulator

__all__ = ["DISCOGS_TOKEN", "SampleUpstreams", "running_samples"]

DISCOGS_TOKEN = "sample-discogs-token"  # the sample Discogs accepts it; it opens nothing else

# What the tour points at: ids and MBIDs the invented catalogue has.
SAMPLE_RELEASE_ID = 1
SAMPLE_RELEASE_MBID = DISCOGS_LINKED_RELEASE_MBID
SAMPLE_ART_MBID = RELEASE_WITH_ART_MBID
SAMPLE_UPC = FICTIONAL_FREQUENCIES_UPC  # Discogs release 1's barcode, an album on iTunes


@dataclass(frozen=True)
class SampleUpstreams:
    """Where the running sample upstreams listen, and the emulators (which count calls)."""

    discogs: DiscogsEmulator
    discogs_url: str
    musicbrainz: MusicBrainzEmulator
    musicbrainz_url: str  # without /ws/2, as a client's host setting
    coverart: CoverArtEmulator
    coverart_url: str
    itunes: ITunesEmulator
    itunes_url: str
    spotify: SpotifyEmulator
    spotify_url: str
    tidal: TidalEmulator
    tidal_url: str

    def gateway_upstreams(self) -> dict[str, dict[str, object]]:
        """``upstreams`` settings pointing sleeve at them."""
        return {
            "discogs": {"base_url": self.discogs_url, "token": DISCOGS_TOKEN},
            "musicbrainz": {"base_url": f"{self.musicbrainz_url}/ws/2"},
            "coverartarchive": {"base_url": self.coverart_url},
            "itunes": {"base_url": self.itunes_url},
            "spotify": {
                "base_url": self.spotify_url,
                "accounts_url": f"{self.spotify_url}{SPOTIFY_TOKEN_PATH}",
                "client_id": SPOTIFY_CLIENT_ID,
                "client_secret": SPOTIFY_CLIENT_SECRET,
            },
            "tidal": {
                "base_url": self.tidal_url,
                "accounts_url": f"{self.tidal_url}{TIDAL_TOKEN_PATH}",
                "client_id": self.tidal.client_id,
                "client_secret": self.tidal.client_secret,
            },
        }

    def image_hosts(self) -> list[str]:
        """``images.allowed_hosts`` for them: the Discogs image host is the Discogs
        emulator itself, the archive's download host is the archive emulator, and the
        iTunes artwork host is the iTunes emulator."""
        urls = (self.discogs_url, self.coverart_url, self.itunes_url)
        return [url.removeprefix("http://") for url in urls]

    def itunes_artwork_url(self, size: int = 600) -> str:
        """The sample iTunes album's artwork at ``size`` px, as the emulator gives it out
        (sleeve's answers carry it rewritten to point at sleeve)."""
        source = f"{self.itunes_url}{ARTWORK_PREFIX}{FICTIONAL_FREQUENCIES_ID}/source"
        return f"{source}/{size}x{size}bb.jpg"


@contextlib.contextmanager
def running_samples(host: str = "127.0.0.1") -> Iterator[SampleUpstreams]:
    """Start the sample upstreams on free ports of ``host``; stop them on exit."""
    discogs = DiscogsEmulator(tokens={DISCOGS_TOKEN}, image_host="self")
    musicbrainz = MusicBrainzEmulator()
    coverart = CoverArtEmulator()
    itunes = ITunesEmulator()  # Apple's limit: 20 calls a minute
    spotify = SpotifyEmulator()
    tidal = TidalEmulator()  # 2 calls in 10 s, as TIDAL has been seen to allow
    with (
        EmulatorThread(discogs, host) as discogs_url,
        EmulatorThread(musicbrainz, host) as musicbrainz_url,
        EmulatorThread(coverart, host) as coverart_url,
        EmulatorThread(itunes, host) as itunes_url,
        EmulatorThread(spotify, host) as spotify_url,
        EmulatorThread(tidal, host) as tidal_url,
    ):
        yield SampleUpstreams(
            discogs,
            discogs_url,
            musicbrainz,
            musicbrainz_url,
            coverart,
            coverart_url,
            itunes,
            itunes_url,
            spotify,
            spotify_url,
            tidal,
            tidal_url,
        )
