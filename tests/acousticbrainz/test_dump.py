"""Reading dumps: every member once, in order, names checked, cut archives detected."""

from __future__ import annotations

import io
import tarfile
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from sleeve.acousticbrainz.dump import (
    DumpEntry,
    DumpError,
    SkippedMember,
    level_from_names,
    read_source,
)
from tests.acousticbrainz import dumps

RECORDINGS = dumps.recordings(40, offsets=2)


def high_level_members() -> list[dumps.Member]:
    return list(dumps.members("highlevel", RECORDINGS))


def entries(path: Path, skip: int = 0) -> list[DumpEntry]:
    items = list(read_source(path, skip=skip))
    assert all(isinstance(item, DumpEntry) for item in items)
    return items  # type: ignore[return-value]


def test_a_zstd_archive_yields_every_file_in_order_with_its_key(tmp_path: Path) -> None:
    archive = dumps.write_archive(tmp_path / "x.tar.zst", high_level_members())
    found = entries(archive)
    assert [(e.mbid, e.n) for e in found] == RECORDINGS
    assert [e.data for e in found] == [m.data for m in high_level_members()]
    assert {e.level for e in found} == {"highlevel"}


def test_plain_tar_and_folders_read_the_same(tmp_path: Path) -> None:
    expected = entries(dumps.write_archive(tmp_path / "a.tar.zst", high_level_members()))
    tar = dumps.write_archive(tmp_path / "a.tar", high_level_members(), compressed=False)
    folder = dumps.write_folder(tmp_path / "folder", high_level_members())
    assert entries(tar) == expected
    assert [(e.name, e.level, e.mbid, e.n, e.data) for e in entries(folder)] == [
        (e.name, e.level, e.mbid, e.n, e.data) for e in expected
    ]


def test_mbids_are_lower_cased_and_offsets_read(tmp_path: Path) -> None:
    member = dumps.Member("lowlevel/AB/CD/ABCDEF01-2345-4789-ABCD-EF0123456789-12.json", b"{}")
    [entry] = entries(dumps.write_archive(tmp_path / "x.tar.zst", [member]))
    assert (entry.mbid, entry.n, entry.level) == (
        "abcdef01-2345-4789-abcd-ef0123456789",
        12,
        "lowlevel",
    )


def test_the_archive_name_gives_the_level_when_member_paths_do_not(tmp_path: Path) -> None:
    mbid = dumps.mbid_for(1)
    archive = tmp_path / "acousticbrainz-lowlevel-json-20220623-3.tar.zst"
    dumps.write_archive(archive, [dumps.Member(f"{mbid}-0.json", b"{}")])
    assert entries(archive)[0].level == "lowlevel"
    other = dumps.write_archive(tmp_path / "dump.tar.zst", [dumps.Member(f"{mbid}-0.json", b"{}")])
    assert entries(other)[0].level is None


def test_level_from_names_prefers_the_first_name_that_says_one() -> None:
    assert level_from_names("highlevel/ab/cd/x-0.json", "acousticbrainz-lowlevel-json.tar") == (
        "highlevel"
    )
    assert level_from_names("ab/x-0.json", "acousticbrainz-low-level.tar.zst") == "lowlevel"
    assert level_from_names("ab/x-0.json", "dump.tar") is None


def test_foreign_names_are_skipped_and_named(tmp_path: Path) -> None:
    mbid = dumps.mbid_for(2)
    files = [
        dumps.Member("README", b"about"),
        dumps.Member("highlevel/notes.json", b"{}"),
        dumps.Member(f"highlevel/{mbid}.json", b"{}"),
        dumps.Member(f"highlevel/{mbid}-x.json", b"{}"),
        dumps.Member(f"highlevel/{mbid}-0.json", b"{}"),
    ]
    items = list(read_source(dumps.write_archive(tmp_path / "x.tar.zst", files)))
    skipped = [item for item in items if isinstance(item, SkippedMember)]
    assert [item.name for item in skipped] == [f.name for f in files[:4]]
    assert not any(item.bad for item in skipped)
    assert isinstance(items[-1], DumpEntry)


def test_skip_passes_over_the_first_members(tmp_path: Path) -> None:
    archive = dumps.write_archive(tmp_path / "x.tar.zst", high_level_members())
    assert [(e.mbid, e.n) for e in entries(archive, skip=15)] == RECORDINGS[15:]
    assert entries(archive, skip=len(RECORDINGS)) == []


def test_a_cut_archive_yields_the_complete_members_then_fails(tmp_path: Path) -> None:
    archive = dumps.write_archive(tmp_path / "x.tar.zst", high_level_members())
    cut = dumps.truncated_copy(archive, tmp_path / "cut.tar.zst", keep=0.6)
    read: list[DumpEntry] = []
    with pytest.raises(DumpError, match=r"cut\.tar\.zst"):
        for item in read_source(cut):
            assert isinstance(item, DumpEntry)
            read.append(item)
    assert 0 < len(read) < len(RECORDINGS)
    assert [e.data for e in read] == [m.data for m in high_level_members()[: len(read)]]


@pytest.mark.parametrize("compressed", [True, False])
def test_a_cut_between_two_members_is_detected_too(tmp_path: Path, compressed: bool) -> None:
    """tar alone takes a missing header for the end of the archive; sleeve does not."""
    whole = dumps.write_archive(tmp_path / "whole.tar", high_level_members(), compressed=False)
    with tarfile.open(whole) as tar:
        boundary = [m for m in tar.getmembers() if m.isfile()][10].offset
    cut = whole.read_bytes()[:boundary]
    if compressed:
        cut = zstandard.ZstdCompressor().compress(cut)
    path = tmp_path / ("cut.tar.zst" if compressed else "cut.tar")
    path.write_bytes(cut)
    with pytest.raises(DumpError, match="ends early"):
        for _ in read_source(path):
            pass


def test_corrupt_zstd_data_is_a_dump_error(tmp_path: Path) -> None:
    """zstd(1) writes a checksum per frame; damage is found at the latest at its end."""
    archive = dumps.write_archive(tmp_path / "x.tar.zst", high_level_members())
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x55
    archive.write_bytes(bytes(data))
    with pytest.raises(DumpError):
        for _ in read_source(archive):
            pass


def test_members_too_large_to_be_documents_are_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sleeve.acousticbrainz.dump.MAX_MEMBER_BYTES", 100)
    mbid = dumps.mbid_for(3)
    files = [dumps.Member(f"{mbid}-0.json", b" " * 101), dumps.Member(f"{mbid}-1.json", b"{}")]
    first, second = read_source(dumps.write_archive(tmp_path / "x.tar.zst", files))
    assert isinstance(first, SkippedMember) and first.bad
    assert isinstance(second, DumpEntry)


def peak_reading(archive: Path) -> tuple[int, int]:
    """How many entries reading ``archive`` yields, and the most memory it held meanwhile."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_source(archive))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_stays_flat_however_many_members(tmp_path: Path) -> None:
    """Stream-mode tarfile remembers every member unless told not to, about 0.5 kB each:
    5,000 more members would hold 2.4 MB more. Reading 1,000 and 6,000 members must peak
    alike (a megabyte apart at most), which says flat without a machine-dependent total."""
    peaks = {}
    for members in (1_000, 6_000):
        files = (dumps.Member(f"{dumps.mbid_for(0)}-{n}.json", b"{}") for n in range(members))
        archive = dumps.write_archive(tmp_path / f"{members}.tar.zst", files)
        count, peaks[members] = peak_reading(archive)
        assert count == members
    assert peaks[6_000] < peaks[1_000] + (1 << 20), peaks


def test_an_unreadable_path_is_a_dump_error(tmp_path: Path) -> None:
    with pytest.raises(DumpError):
        list(read_source(tmp_path / "missing.tar.zst"))
    (tmp_path / "not-a-tar").write_bytes(io.BytesIO(b"hello").read())
    with pytest.raises(DumpError):
        list(read_source(tmp_path / "not-a-tar"))
