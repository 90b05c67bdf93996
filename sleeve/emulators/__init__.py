"""Emulators of sleeve's upstream services with invented sample data: the tests talk to
them over real HTTP, and `sleeve demo` runs them so the gateway can be tried offline.

The public names are imported lazily so that ``python -m sleeve.emulators.discogs`` does not
import ``discogs`` twice (once through this package, once as ``__main__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DiscogsEmulator": ".discogs",
    "EmulatorThread": ".discogs",
    "FailureMode": ".discogs",
    "RecordedRequest": ".discogs",
    "start_in_thread": ".discogs",
    "Catalogue": ".discogs_data",
    "build_catalogue": ".discogs_data",
    "MusicBrainzEmulator": ".musicbrainz",
    "CoverArtEmulator": ".coverart",
    "ITunesEmulator": ".itunes",
    "SpotifyEmulator": ".spotify",
    "TidalEmulator": ".tidal",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
