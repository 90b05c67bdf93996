"""Small AcousticBrainz dumps of our own, in the real layout, for the tests and the benchmark.

The documents have the shape of AcousticBrainz's (the keys its clients read: ``lowlevel``,
``rhythm``, ``tonal``, ``highlevel`` models with ``all``/``value``/``probability``,
``metadata``) but every value is invented from a seed. Archives are what the 2022 dumps
are: a tar stream, zstd-compressed, with members ``{level}/{ab}/{cd}/{mbid}-{n}.json``.
"""

from __future__ import annotations

import io
import json
import random
import tarfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard

HIGH_LEVEL_MODELS: dict[str, tuple[str, ...]] = {
    "danceability": ("danceable", "not_danceable"),
    "gender": ("female", "male"),
    "genre_dortmund": ("alternative", "blues", "electronic", "folkcountry", "funksoulrnb",
                       "jazz", "pop", "raphiphop", "rock"),
    "genre_electronic": ("ambient", "dnb", "house", "techno", "trance"),
    "genre_rosamerica": ("cla", "dan", "hip", "jaz", "pop", "rhy", "roc", "spe"),
    "genre_tzanetakis": ("blu", "cla", "cou", "dis", "hip", "jaz", "met", "pop", "reg", "roc"),
    "mood_acoustic": ("acoustic", "not_acoustic"),
    "mood_happy": ("happy", "not_happy"),
    "mood_party": ("not_party", "party"),
    "mood_relaxed": ("not_relaxed", "relaxed"),
    "mood_sad": ("not_sad", "sad"),
    "timbre": ("bright", "dark"),
    "tonal_atonal": ("atonal", "tonal"),
    "voice_instrumental": ("instrumental", "voice"),
}  # fmt: skip


@dataclass(frozen=True)
class Member:
    """One file of a dump: its path in the archive and its bytes."""

    name: str
    data: bytes


def mbid_for(seed: int) -> str:
    """A recording MBID made from ``seed`` (lower case, as the dumps name files)."""
    return str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))


def _metadata(rnd: random.Random, mbid: str, n: int) -> dict[str, Any]:
    return {
        "audio_properties": {
            "bit_rate": rnd.choice([128000, 192000, 320000]),
            "codec": rnd.choice(["mp3", "flac", "vorbis"]),
            "length": round(rnd.uniform(60, 600), 6),
            "lossless": rnd.random() < 0.3,
            "replay_gain": round(rnd.uniform(-15, 0), 6),
            "sample_rate": 44100,
        },
        "tags": {
            "musicbrainz_recordingid": [mbid],
            "title": [f"Invented title {rnd.randrange(10**6)}"],
            "artist": [f"Invented artist {rnd.randrange(10**4)}"],
            "album": [f"Invented album {rnd.randrange(10**5)}"],
            "file_name": f"track-{n}.flac",
        },
        "version": {
            "essentia": "2.1-beta2",
            "essentia_build_sha": "0" * 40,
            "essentia_git_sha": "v2.1_beta2",
            "extractor": "music 1.0",
        },
    }


def high_level_document(mbid: str, n: int, seed: int = 0) -> dict[str, Any]:
    """An invented high-level document (about 4 KB of JSON)."""
    rnd = random.Random(f"high {mbid} {n} {seed}")
    models = {}
    for model, classes in HIGH_LEVEL_MODELS.items():
        weights = [rnd.random() for _ in classes]
        total = sum(weights)
        shares = {
            cls: round(weight / total, 9) for cls, weight in zip(classes, weights, strict=True)
        }
        value = max(shares, key=shares.__getitem__)
        models[model] = {"all": shares, "value": value, "probability": shares[value]}
    return {"highlevel": models, "metadata": _metadata(rnd, mbid, n)}


def low_level_document(mbid: str, n: int, seed: int = 0, *, bands: int = 27) -> dict[str, Any]:
    """An invented low-level document (about 10 KB of JSON with the default ``bands``)."""
    rnd = random.Random(f"low {mbid} {n} {seed}")

    def stats(width: int = 1) -> dict[str, Any]:
        if width == 1:
            return {key: round(rnd.uniform(0, 1), 9) for key in ("mean", "median", "var")}
        return {key: [round(rnd.uniform(0, 1), 9) for _ in range(width)] for key in ("mean", "var")}

    return {
        "lowlevel": {
            "average_loudness": round(rnd.random(), 9),
            "barkbands": stats(bands),
            "mfcc": {"mean": [round(rnd.uniform(-700, 200), 6) for _ in range(13)]},
            "spectral_centroid": stats(),
            "dynamic_complexity": round(rnd.uniform(0, 10), 6),
        },
        "rhythm": {"bpm": round(rnd.uniform(60, 200), 6), "beats_count": rnd.randrange(100, 900)},
        "tonal": {
            "key_key": rnd.choice("ABCDEFG"),
            "key_scale": rnd.choice(["major", "minor"]),
            "hpcp": stats(36),
        },
        "metadata": _metadata(rnd, mbid, n),
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def member_name(level: str, mbid: str, n: int) -> str:
    return f"{level}/{mbid[:2]}/{mbid[2:4]}/{mbid}-{n}.json"


def members(level: str, recordings: Iterable[tuple[str, int]], seed: int = 0) -> Iterator[Member]:
    """One member per ``(mbid, n)``, with an invented document of ``level``."""
    make = high_level_document if level == "highlevel" else low_level_document
    for mbid, n in recordings:
        yield Member(member_name(level, mbid, n), document_bytes(make(mbid, n, seed)))


def write_archive(path: Path, files: Iterable[Member], *, compressed: bool = True) -> Path:
    """A tar stream of ``files`` (directories included, as ``tar`` writes them), zstd
    compressed unless told not to. Streams, so 100,000 members need little memory."""
    with path.open("wb") as raw:
        if compressed:
            compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)  # as zstd(1)
            with compressor.stream_writer(raw, closefd=False) as zstd:
                _write_tar(zstd, files)
        else:
            _write_tar(raw, files)
    return path


def _write_tar(target: Any, files: Iterable[Member]) -> None:
    seen: set[str] = set()
    with tarfile.open(fileobj=target, mode="w|") as tar:
        for file in files:
            for folder in _parents(file.name):
                if folder not in seen:
                    seen.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
            info = tarfile.TarInfo(file.name)
            info.size = len(file.data)
            tar.addfile(info, io.BytesIO(file.data))


def _parents(name: str) -> list[str]:
    parts = name.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def write_folder(root: Path, files: Iterable[Member]) -> Path:
    for file in files:
        target = root / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
    return root


def truncated_copy(source: Path, target: Path, keep: float = 0.5) -> Path:
    """``source`` cut after ``keep`` of its bytes, as an interrupted download leaves it."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def recordings(count: int, *, first_seed: int = 0, offsets: int = 1) -> list[tuple[str, int]]:
    """``count`` recordings with ``offsets`` submissions each, sorted as dumps are."""
    mbids = sorted(mbid_for(first_seed + i) for i in range(count))
    return [(mbid, n) for mbid in mbids for n in range(offsets)]
