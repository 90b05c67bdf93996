"""Benchmark: importing an AcousticBrainz dump against only reading it.

Generates a dump of ``--files`` invented documents in the real layout (a high-level and a
low-level ``.tar.zst``; high-level documents about 3 KB of JSON, ``--low-share`` of them
low-level at about 12 KB), then measures, each in a child process of its own:

1. the baseline: stream through the archives and parse every member as JSON, storing
   nothing (tarfile + zstandard + json only, none of sleeve's code);
2. the import: ``import_dumps`` into a new archive file.

Prints files/s of both, the ratio import/baseline, each child's peak RSS (the kernel's
``VmHWM`` of the child's own address space: what users see, not what Python thinks it
allocated; ``ru_maxrss`` where there is no ``/proc``, which also counts the parent's
pages at fork time) and the size of the archive file.

    python benchmarks/acousticbrainz_import.py [--files 100000] [--low-share 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zstandard  # noqa: E402

from sleeve.acousticbrainz import FeatureStore, import_dumps  # noqa: E402
from tests.acousticbrainz import dumps  # noqa: E402

LOW_LEVEL_BANDS = 400  # about 12 KB of JSON per low-level document


def generate(folder: pathlib.Path, files: int, low_share: float) -> list[pathlib.Path]:
    lows = int(files * low_share)
    recordings = dumps.recordings(files - lows, first_seed=1)
    high = dumps.write_archive(
        folder / "acousticbrainz-highlevel-json-20220623-0.tar.zst",
        dumps.members("highlevel", recordings),
    )
    low = dumps.write_archive(
        folder / "acousticbrainz-lowlevel-json-20220623-0.tar.zst",
        _low_members(recordings[:lows]),
    )
    return [high, low]


def _low_members(recordings: list[tuple[str, int]]) -> Iterator[dumps.Member]:
    for mbid, n in recordings:
        document = dumps.low_level_document(mbid, n, bands=LOW_LEVEL_BANDS)
        yield dumps.Member(dumps.member_name("lowlevel", mbid, n), dumps.document_bytes(document))


def baseline(paths: list[str]) -> int:
    """Files read and parsed: the least any importer has to do."""
    parsed = 0
    for path in paths:
        with open(path, "rb") as raw:
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                while (member := tar.next()) is not None:
                    tar.members.clear()  # type: ignore[attr-defined]
                    if member.isfile():
                        extracted = tar.extractfile(member)
                        assert extracted is not None
                        json.loads(extracted.read())
                        parsed += 1
    return parsed


def imported(paths: list[str], db: str) -> int:
    summary = import_dumps(paths, FeatureStore(db), progress=False)
    assert not summary.errors and not summary.bad, summary
    return summary.imported


def child(kind: str, paths: list[str], db: str) -> None:
    started = time.perf_counter()
    files = baseline(paths) if kind == "baseline" else imported(paths, db)
    seconds = time.perf_counter() - started
    print(json.dumps({"files": files, "seconds": seconds, "rss_mib": peak_rss_mib()}))


def peak_rss_mib() -> float | None:
    """This process's peak RSS since exec (Linux), None elsewhere."""
    try:
        status = pathlib.Path("/proc/self/status").read_text()
    except OSError:
        return None
    [line] = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024


def measure(kind: str, paths: list[pathlib.Path], db: pathlib.Path) -> dict[str, float]:
    """Run ``kind`` in a child; its figures plus its peak RSS in MiB."""
    command = [sys.executable, __file__, "--child", kind, "--db", str(db), *map(str, paths)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{kind} failed with {process.returncode}")
    result: dict[str, float] = json.loads(output)
    if result["rss_mib"] is None:
        result["rss_mib"] = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--low-share", type=float, default=0.1)
    parser.add_argument("--child", choices=["baseline", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths, args.db)
        return 0
    with tempfile.TemporaryDirectory() as directory:
        folder = pathlib.Path(directory)
        started = time.perf_counter()
        paths = generate(folder, args.files, args.low_share)
        made = time.perf_counter() - started
        dump_bytes = sum(path.stat().st_size for path in paths)
        print(f"dump: {args.files} files, {dump_bytes / 2**20:.1f} MiB compressed "
              f"(generated in {made:.0f} s)")  # fmt: skip
        base = measure("baseline", paths, folder / "unused.db")
        run = measure("import", paths, folder / "archive.db")
        archive_bytes = sum(p.stat().st_size for p in folder.glob("archive.db*"))
        report(base, run, archive_bytes)
    return 0


def report(base: dict[str, float], run: dict[str, float], archive_bytes: int) -> None:
    rows = (("baseline (read + parse)", base), ("import", run))
    for name, result in rows:
        rate = result["files"] / result["seconds"]
        print(f"  {name:24} {result['files']:8.0f} files  {result['seconds']:6.1f} s  "
              f"{rate:8.0f} files/s  peak RSS {result['rss_mib']:6.1f} MiB")  # fmt: skip
    ratio = (run["files"] / run["seconds"]) / (base["files"] / base["seconds"])
    print(f"  ratio import/baseline: {ratio:.2f}")
    print(f"  archive file: {archive_bytes / 2**20:.1f} MiB "
          f"({archive_bytes / run['files']:.0f} bytes per document)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
