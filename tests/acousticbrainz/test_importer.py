"""Importing dumps: checked documents only, bad files named, and a killed import resumed."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sleeve.acousticbrainz import FeatureStore, import_dumps
from sleeve.cli.import_acousticbrainz import main
from tests.acousticbrainz import dumps

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = dumps.recordings(60, offsets=2)


def high_archive(path: Path, recordings: list[tuple[str, int]] = RECORDINGS) -> Path:
    return dumps.write_archive(path, dumps.members("highlevel", recordings))


def stored_keys(db: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT hex(mbid), level, n FROM documents ORDER BY 1, 2, 3")
        return [(mbid.lower(), level, n) for mbid, level, n in rows]


def keys(recordings: list[tuple[str, int]], level: int) -> list[tuple[str, int, int]]:
    return sorted((mbid.replace("-", ""), level, n) for mbid, n in recordings)


async def test_both_levels_are_imported_and_served_as_found(tmp_path: Path) -> None:
    highs = high_archive(tmp_path / "acousticbrainz-highlevel-json-20220623-0.tar.zst")
    lows = dumps.write_archive(
        tmp_path / "acousticbrainz-lowlevel-json-20220623-0.tar.zst",
        dumps.members("lowlevel", RECORDINGS[:30]),
    )
    store = FeatureStore(tmp_path / "archive.db")
    summary = import_dumps([highs, lows], store, progress=False, batch_files=25)
    assert (summary.imported, summary.bad, summary.skipped, summary.errors) == (150, 0, 0, [])
    assert summary.dumps_finished == 2
    assert stored_keys(tmp_path / "archive.db") == sorted(
        keys(RECORDINGS, 1) + keys(RECORDINGS[:30], 0)
    )
    mbid, n = RECORDINGS[7]
    try:
        expected = dumps.document_bytes(dumps.high_level_document(mbid, n))
        assert await store.get(mbid, "highlevel", n) == expected
        assert await store.count(RECORDINGS[0][0]) == 2
    finally:
        await store.close()


def test_bad_files_are_counted_named_and_left_out(tmp_path: Path) -> None:
    good = list(dumps.members("highlevel", RECORDINGS[:10]))
    bad_mbids = [dumps.mbid_for(900 + i) for i in range(6)]
    low_document = dumps.document_bytes(dumps.low_level_document(bad_mbids[2], 0))
    bad = [
        dumps.Member(dumps.member_name("highlevel", bad_mbids[0], 0), b'{"highlevel": {"a": '),
        dumps.Member(dumps.member_name("highlevel", bad_mbids[1], 0), b"\xff\xfe garbage"),
        dumps.Member(dumps.member_name("highlevel", bad_mbids[2], 0), low_document),
        dumps.Member(dumps.member_name("highlevel", bad_mbids[3], 0), b"[1, 2]"),
        dumps.Member(dumps.member_name("highlevel", bad_mbids[4], 0), b'{"highlevel": {"x": NaN}}'),
        dumps.Member(dumps.member_name("highlevel", bad_mbids[5], 0), b'{"highlevel": []}'),
    ]
    foreign = [dumps.Member("highlevel/README.txt", b"hello"), dumps.Member("LICENSE", b"CC0")]
    archive = dumps.write_archive(tmp_path / "hl.tar.zst", good[:5] + bad + foreign + good[5:])
    summary = import_dumps([archive], FeatureStore(tmp_path / "a.db"), progress=False)
    assert (summary.imported, summary.bad, summary.skipped) == (10, 6, 2)
    assert len(summary.bad_names) == 5  # the first few; the count is complete
    assert summary.bad_names[0].startswith(bad[0].name + ": not JSON")
    assert "not a highlevel document" in summary.bad_names[2]
    assert summary.skipped_names == ["highlevel/README.txt", "LICENSE"]
    assert stored_keys(tmp_path / "a.db") == keys(RECORDINGS[:10], 1)
    assert any("bad 6 file(s)" in line for line in summary.lines())


def test_without_a_level_in_any_name_the_document_decides(tmp_path: Path) -> None:
    mbid = dumps.mbid_for(5)
    files = [
        dumps.Member(f"{mbid}-0.json", dumps.document_bytes(dumps.low_level_document(mbid, 0))),
        dumps.Member(f"{mbid}-1.json", dumps.document_bytes(dumps.high_level_document(mbid, 1))),
        dumps.Member(
            f"{mbid}-2.json",
            json.dumps({key: {} for key in ("highlevel", "lowlevel", "rhythm", "tonal")}).encode(),
        ),
    ]
    folder = dumps.write_folder(tmp_path / "mixed", files)
    summary = import_dumps([folder], FeatureStore(tmp_path / "a.db"), progress=False)
    assert (summary.imported, summary.bad) == (2, 1)
    hexed = mbid.replace("-", "")
    assert stored_keys(tmp_path / "a.db") == [(hexed, 0, 0), (hexed, 1, 1)]


def test_a_finished_dump_is_not_read_again(tmp_path: Path) -> None:
    archive = high_archive(tmp_path / "hl.tar.zst")
    store = FeatureStore(tmp_path / "a.db")
    import_dumps([archive], store, progress=False)
    again = import_dumps([archive], store, progress=False)
    assert (again.imported, again.already_stored, again.resumed) == (0, 0, len(RECORDINGS))
    assert again.dumps_finished == 1


def test_a_cut_dump_keeps_what_it_held_and_the_whole_one_completes_it(tmp_path: Path) -> None:
    whole = high_archive(tmp_path / "whole.tar.zst")
    cut = dumps.truncated_copy(whole, tmp_path / "cut.tar.zst", keep=0.5)
    store = FeatureStore(tmp_path / "a.db")
    first = import_dumps([cut], store, progress=False, batch_files=7)
    assert first.errors and "cut.tar.zst" in first.errors[0]
    assert 0 < first.imported < len(RECORDINGS)
    assert first.dumps_finished == 0
    assert stored_keys(tmp_path / "a.db") == keys(RECORDINGS[: first.imported], 1)
    second = import_dumps([whole], store, progress=False)
    assert (second.imported, second.already_stored) == (
        len(RECORDINGS) - first.imported,
        first.imported,
    )
    assert stored_keys(tmp_path / "a.db") == keys(RECORDINGS, 1)


def import_in_child(archive: Path, db: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sleeve.cli.import_acousticbrainz", "import", "acousticbrainz",
               str(archive), "--db", str(db), "--no-progress", "--batch", "40"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def members_done(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT members_done FROM imports").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return 0
    return row[0] if row else 0


def kill_midway(child: subprocess.Popen[bytes], db: Path, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while members_done(db) < at_least:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the import never got going"
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    if child.stderr:
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_an_import_killed_midway_resumes_after_its_last_batch(tmp_path: Path) -> None:
    recordings = dumps.recordings(3000, first_seed=10_000)
    archive = high_archive(
        tmp_path / "acousticbrainz-highlevel-json-20220623-0.tar.zst", recordings
    )
    db = tmp_path / "a.db"
    kill_midway(import_in_child(archive, db), db, at_least=200)

    done = members_done(db)
    assert done % 40 == 0 and done < len(recordings), "killed after it finished"
    assert stored_keys(db) == keys(recordings[:done], 1)  # exactly its batches, nothing half

    store = FeatureStore(db)
    summary = import_dumps([archive], store, progress=False)
    assert (summary.resumed, summary.already_stored) == (done, 0)
    assert summary.imported == len(recordings) - done
    assert stored_keys(db) == keys(recordings, 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT finished FROM imports").fetchone() == (1,)


def test_the_command_prints_a_summary_and_fails_on_unreadable_dumps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = high_archive(tmp_path / "hl.tar.zst", RECORDINGS[:4])
    db = tmp_path / "a.db"
    assert main(["import", "acousticbrainz", str(archive), "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("imported 4 document(s)")
    assert err == ""  # no progress bar: stderr is not a terminal here
    missing = tmp_path / "missing.tar.zst"
    assert main(["import", "acousticbrainz", str(missing), "--db", str(db), "--no-progress"]) == 1
    assert "missing.tar.zst" in capsys.readouterr().out
