"""The archive file: documents in, the same bytes out, counts, dictionaries, progress."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sleeve.acousticbrainz.store import (
    FeatureStore,
    FeatureStoreUnavailable,
    FeatureWriter,
    SourceProgress,
    StoredDocument,
)
from tests.acousticbrainz import dumps

MBID = dumps.mbid_for(10)
OTHER = dumps.mbid_for(11)
PROGRESS = SourceProgress("/dumps/x.tar.zst", 1234, 5678, members_done=3)


def high(mbid: str, n: int) -> StoredDocument:
    return StoredDocument(
        mbid, "highlevel", n, dumps.document_bytes(dumps.high_level_document(mbid, n))
    )


def low(mbid: str, n: int) -> StoredDocument:
    return StoredDocument(
        mbid, "lowlevel", n, dumps.document_bytes(dumps.low_level_document(mbid, n))
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ab" / "archive.db"


def write(path: Path, documents: list[StoredDocument], min_samples: int = 200) -> int:
    with FeatureWriter(str(path), min_samples=min_samples) as writer:
        return writer.commit(documents, PROGRESS)


async def test_documents_come_back_byte_for_byte(path: Path) -> None:
    documents = [high(MBID, 0), high(MBID, 1), low(MBID, 0), low(OTHER, 0)]
    assert write(path, documents) == 4
    store = FeatureStore(path)
    try:
        for document in documents:
            assert await store.get(document.mbid, document.level, document.n) == document.data
        assert await store.get(MBID.upper(), "highlevel", 1) == documents[1].data
        assert await store.get(MBID, "highlevel", 2) is None
        assert await store.get(OTHER, "highlevel", 0) is None
    finally:
        await store.close()


async def test_many_returns_the_stored_ones_in_order(path: Path) -> None:
    write(path, [high(MBID, 0), high(MBID, 2), high(OTHER, 0)])
    store = FeatureStore(path)
    try:
        asked = [(OTHER, 0), (MBID, 1), (MBID, 2), (MBID, 0)]
        found = await store.many("highlevel", asked)
        assert list(found) == [(OTHER, 0), (MBID, 2), (MBID, 0)]
        assert found[MBID, 2] == high(MBID, 2).data
        assert await store.many("lowlevel", asked) == {}
    finally:
        await store.close()


async def test_counts_are_submissions_per_mbid(path: Path) -> None:
    write(path, [low(MBID, 0), low(MBID, 1), low(MBID, 2), high(MBID, 0), high(OTHER, 0)])
    store = FeatureStore(path)
    try:
        assert await store.count(MBID) == 3
        assert await store.count(OTHER) == 1  # only high-level imported for it
        assert await store.count(dumps.mbid_for(12)) == 0
        assert await store.counts([OTHER, MBID]) == {OTHER: 1, MBID: 3}
    finally:
        await store.close()


def test_a_document_already_stored_is_kept_not_duplicated(path: Path) -> None:
    assert write(path, [high(MBID, 0), high(MBID, 1)]) == 2
    assert write(path, [high(MBID, 1), high(MBID, 2)]) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 3


async def test_a_dictionary_is_trained_once_per_level_and_read_by_other_connections(
    path: Path,
) -> None:
    first = [high(dumps.mbid_for(i), 0) for i in range(300)]
    later = [high(dumps.mbid_for(i), 1) for i in range(5)] + [low(MBID, 0)]
    write(path, first, min_samples=100)
    write(path, later, min_samples=100)
    with sqlite3.connect(path) as conn:
        dictionaries = conn.execute("SELECT level FROM dictionaries").fetchall()
        codecs = dict(conn.execute("SELECT level, max(codec) FROM documents GROUP BY level"))
        stored = conn.execute("SELECT sum(length(data)) FROM documents WHERE level = 1")
        stored_bytes = stored.fetchone()[0]
    assert dictionaries == [(1,)]  # low-level: one document, too few to train on
    assert codecs == {0: 0, 1: 1}
    assert stored_bytes < sum(len(d.data) for d in first + later[:5]) / 4
    store = FeatureStore(path)
    try:
        for document in [*first[:3], *later]:
            assert await store.get(document.mbid, document.level, document.n) == document.data
    finally:
        await store.close()


def test_progress_is_remembered_for_the_same_file_only(path: Path) -> None:
    write(path, [high(MBID, 0)])
    with FeatureWriter(str(path)) as writer:
        assert writer.progress(PROGRESS.source, 1234, 5678) == PROGRESS
        assert writer.progress(PROGRESS.source, 1235, 5678).members_done == 0
        assert writer.progress("/dumps/other.tar.zst", 1234, 5678).members_done == 0
        writer.commit([], SourceProgress(PROGRESS.source, 1234, 5678, 9, finished=True))
        assert writer.progress(PROGRESS.source, 1234, 5678).finished


def test_a_failed_batch_stores_neither_documents_nor_progress(path: Path) -> None:
    write(path, [high(MBID, 0)])
    broken = StoredDocument(OTHER, "midlevel", 0, b"{}")  # type: ignore[arg-type]
    with FeatureWriter(str(path)) as writer:
        with pytest.raises(KeyError):
            writer.commit([high(OTHER, 0), broken], SourceProgress(PROGRESS.source, 1234, 5678, 99))
        assert writer.progress(PROGRESS.source, 1234, 5678) == PROGRESS
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


async def test_readers_see_committed_batches_while_a_writer_holds_its_lock(path: Path) -> None:
    write(path, [high(MBID, 0)])
    store = FeatureStore(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        blocker.execute("DELETE FROM documents")
        assert await store.get(MBID, "highlevel", 0) == high(MBID, 0).data
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        await store.close()


async def test_an_unusable_file_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = FeatureStore(tmp_path / "file" / "archive.db")
    with pytest.raises(FeatureStoreUnavailable):
        await store.get(MBID, "lowlevel", 0)
    await store.close()
    with pytest.raises(FeatureStoreUnavailable, match="closed"):
        await store.count(MBID)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    store = FeatureStore(garbage)
    with pytest.raises(FeatureStoreUnavailable):
        await store.count(MBID)
    await store.close()
