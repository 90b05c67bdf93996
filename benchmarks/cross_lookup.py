"""Benchmark: what one barcode look-up costs, across every source, as shipped.

The Discogs, MusicBrainz, Cover Art Archive, iTunes, Spotify and TIDAL emulators run with
their upstreams' real limits (MusicBrainz 1 a second, iTunes 20 a minute, TIDAL 2 per
10 s, …) and a gateway with default settings (its limits are the upstreams') is pointed
at them. For each of the sample barcodes, the look-up is made cold (nothing cached) and
then warm; prints each source's upstream calls per cold look-up, and the latencies.

    python benchmarks/cross_lookup.py
"""

from __future__ import annotations

import contextlib
import pathlib
import statistics
import sys
import time

import httpx

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sleeve.emulators.coverart import CoverArtEmulator  # noqa: E402
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread  # noqa: E402
from sleeve.emulators.itunes import ITunesEmulator  # noqa: E402
from sleeve.emulators.musicbrainz import MusicBrainzEmulator  # noqa: E402
from sleeve.emulators.spotify import SpotifyEmulator  # noqa: E402
from sleeve.emulators.tidal import TidalEmulator  # noqa: E402
from tests.servers import gateway  # noqa: E402

BARCODES = ("5012345678900", "5012345678917", "023456789015", "5012345678924")


def main() -> int:
    emulators = {
        "discogs": DiscogsEmulator(),
        "musicbrainz": MusicBrainzEmulator(),
        "coverart": CoverArtEmulator(),
        "itunes": ITunesEmulator(),
        "spotify": SpotifyEmulator(),
        "tidal": TidalEmulator(),
    }
    with contextlib.ExitStack() as stack:
        url = {name: stack.enter_context(EmulatorThread(e)) for name, e in emulators.items()}
        credentials = {"client_id": "sample-spotify-id", "client_secret": "sample-spotify-secret"}
        upstreams = {  # the upstreams' own limits: sleeve's defaults
            "discogs": {"rate_limit": 60, "anonymous_rate_limit": 25},
            "musicbrainz": {"base_url": f"{url['musicbrainz']}/ws/2", "rate_limit": 1},
            "coverartarchive": {"base_url": url["coverart"], "rate_limit": 10},
            "itunes": {"base_url": url["itunes"], "rate_limit": 20},
            "spotify": {
                "base_url": url["spotify"], "accounts_url": f"{url['spotify']}/api/token",
                "rate_limit": 60, **credentials,
            },
            "tidal": {
                "base_url": url["tidal"], "accounts_url": f"{url['tidal']}/v1/oauth2/token",
                "client_id": "sample-tidal-id", "client_secret": "sample-tidal-secret",
                "rate_limit": 2,
            },
        }  # fmt: skip
        hosts = [url[name].removeprefix("http://") for name in ("coverart", "itunes")]
        sleeve = stack.enter_context(
            gateway(
                url["discogs"],
                upstreams=upstreams,
                server={"validate_responses": False},  # as shipped
                images={"allowed_hosts": hosts},
            )
        )
        cold: list[float] = []
        warm: list[float] = []
        calls: dict[str, list[int]] = {name: [] for name in emulators}
        with httpx.Client(timeout=120) as client:
            for barcode in BARCODES:
                before = {name: e.calls for name, e in emulators.items()}
                started = time.perf_counter()
                answer = client.get(f"{sleeve}/barcode/{barcode}")
                cold.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                statuses = {n: s["status"] for n, s in answer.json()["sources"].items()}
                # A source past its limit for longer than the look-up's patience says so.
                assert set(statuses.values()) <= {"ok", "none", "rate limited"}, statuses
                limited = [name for name, status in statuses.items() if status == "rate limited"]
                print(
                    f"  {barcode}: cold {cold[-1] * 1000:.0f} ms, rate limited: {limited or 'none'}"
                )
                for name, emulator in emulators.items():
                    calls[name].append(emulator.calls - before[name])
                for _ in range(20):
                    started = time.perf_counter()
                    assert client.get(f"{sleeve}/barcode/{barcode}").status_code == 200
                    warm.append(time.perf_counter() - started)
    print(f"barcode look-up across every source, {len(BARCODES)} barcodes, upstreams' limits:")
    for name, counts in calls.items():
        if any(counts):
            print(f"  {name:12} upstream calls per cold look-up: {counts}")
    print(
        f"  cold: median {statistics.median(cold) * 1000:.0f} ms, "
        f"max {max(cold) * 1000:.0f} ms (each source's calls within its own limit)"
    )
    print(
        f"  warm: median {statistics.median(warm) * 1000:.1f} ms, "
        f"p90 {statistics.quantiles(warm, n=10)[8] * 1000:.1f} ms, no upstream call"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
