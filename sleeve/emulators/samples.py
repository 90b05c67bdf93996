"""The sample upstreams: a Discogs (with its image host), a MusicBrainz and a Cover Art
Archive, each an emulator on a free port of 127.0.0.1 serving the invented catalogue.

``sleeve demo`` runs the gateway in front of them, so sleeve can be tried with no
credentials and no network; the tests run the same emulators. Their limits are the real
upstreams' (Discogs 60 a minute, MusicBrainz 1 a second), so what the demo shows about
governance is true.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from .coverart import CoverArtEmulator
from .discogs import DiscogsEmulator, EmulatorThread
from .metabrainz_data import DISCOGS_LINKED_RELEASE_MBID, RELEASE_WITH_ART_MBID
from .musicbrainz import MusicBrainzEmulator

__all__ = ["DISCOGS_TOKEN", "SampleUpstreams", "running_samples"]

DISCOGS_TOKEN = "sample-discogs-token"  # the sample Discogs accepts it; it opens nothing else

# What the tour points at: ids and MBIDs the invented catalogue has.
SAMPLE_RELEASE_ID = 1
SAMPLE_RELEASE_MBID = DISCOGS_LINKED_RELEASE_MBID
SAMPLE_ART_MBID = RELEASE_WITH_ART_MBID


@dataclass(frozen=True)
class SampleUpstreams:
    """Where the running sample upstreams listen, and the emulators (which count calls)."""

    discogs: DiscogsEmulator
    discogs_url: str
    musicbrainz: MusicBrainzEmulator
    musicbrainz_url: str  # without /ws/2, as a client's host setting
    coverart: CoverArtEmulator
    coverart_url: str

    def gateway_upstreams(self) -> dict[str, dict[str, object]]:
        """``upstreams`` settings pointing sleeve at them."""
        return {
            "discogs": {"base_url": self.discogs_url, "token": DISCOGS_TOKEN},
            "musicbrainz": {"base_url": f"{self.musicbrainz_url}/ws/2"},
            "coverartarchive": {"base_url": self.coverart_url},
        }

    def image_hosts(self) -> list[str]:
        """``images.allowed_hosts`` for them: the Discogs image host is the Discogs
        emulator itself, the archive's download host is the archive emulator."""
        return [url.removeprefix("http://") for url in (self.discogs_url, self.coverart_url)]


@contextlib.contextmanager
def running_samples(host: str = "127.0.0.1") -> Iterator[SampleUpstreams]:
    """Start the three sample upstreams on free ports of ``host``; stop them on exit."""
    discogs = DiscogsEmulator(tokens={DISCOGS_TOKEN}, image_host="self")
    musicbrainz = MusicBrainzEmulator()
    coverart = CoverArtEmulator()
    with (
        EmulatorThread(discogs, host) as discogs_url,
        EmulatorThread(musicbrainz, host) as musicbrainz_url,
        EmulatorThread(coverart, host) as coverart_url,
    ):
        yield SampleUpstreams(
            discogs, discogs_url, musicbrainz, musicbrainz_url, coverart, coverart_url
        )
