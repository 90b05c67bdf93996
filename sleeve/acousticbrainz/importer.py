"""Loading AcousticBrainz dumps into the archive: streaming, checked, resumable.

Each dump is read one file at a time (:mod:`.dump`); every file is parsed and checked in
full (:mod:`.documents`) before it may be stored, and files that fail are counted,
reported by name and left out. Documents are written in batches, each one transaction
that also records how many members of the dump are done. A killed import therefore
leaves the archive exactly at the end of a batch, and the next run resumes after it;
running again over a finished dump does nothing. A dump that is replaced by another file
(a different size or modification time) starts again from its first member, and
documents already stored are kept rather than duplicated.

Folders of files are re-read in full on every run (their listing can change anywhere
below the top), with documents already stored left as they are.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .documents import BadDocument, checked_document
from .dump import DumpEntry, DumpError, DumpItem, read_source
from .store import FeatureStore, FeatureWriter, SourceProgress, StoredDocument

__all__ = ["ImportSummary", "import_dumps"]

#: Names of skipped and bad files kept for the report (the counts are complete).
REPORTED_NAMES = 5


@dataclass
class ImportSummary:
    """What a run did: counts over all dumps, the first few names of each kind of file
    left out, and one message per dump that could not be read to its end."""

    imported: int = 0
    already_stored: int = 0
    skipped: int = 0
    bad: int = 0
    resumed: int = 0
    dumps_finished: int = 0
    seconds: float = 0.0
    skipped_names: list[str] = field(default_factory=list)
    bad_names: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def note_skipped(self, name: str) -> None:
        self.skipped += 1
        if len(self.skipped_names) < REPORTED_NAMES:
            self.skipped_names.append(name)

    def note_bad(self, name: str, reason: str) -> None:
        self.bad += 1
        if len(self.bad_names) < REPORTED_NAMES:
            self.bad_names.append(f"{name}: {reason}")

    def lines(self) -> list[str]:
        """The summary for people, one fact a line."""
        rate = self.imported / self.seconds if self.seconds else 0.0
        lines = [
            f"imported {self.imported} document(s) in {self.seconds:.1f} s ({rate:.0f}/s)",
            f"already stored {self.already_stored}; passed over (done by an earlier run) "
            f"{self.resumed}; dumps finished {self.dumps_finished}",
            f"skipped {self.skipped} file(s) not named {{mbid}}-{{n}}.json",
            *(f"  {name}" for name in self.skipped_names),
            f"bad {self.bad} file(s), left out",
            *(f"  {name}" for name in self.bad_names),
        ]
        return lines + [f"error: {message}" for message in self.errors]


@dataclass
class _Batch:
    documents: list[StoredDocument] = field(default_factory=list)
    members: int = 0
    size: int = 0

    def add(self, document: StoredDocument | None) -> None:
        self.members += 1
        if document is not None:
            self.documents.append(document)
            self.size += len(document.data)


def import_dumps(
    paths: Iterable[str | os.PathLike[str]],
    store: FeatureStore,
    progress: bool = True,
    *,
    batch_files: int = 1000,
    batch_bytes: int = 32 << 20,
) -> ImportSummary:
    """Import every dump in ``paths`` (archives or folders) into ``store``.

    A batch is committed every ``batch_files`` files or ``batch_bytes`` of JSON,
    whichever comes first. ``progress`` shows a bar on stderr when it is a terminal.
    """
    started = time.monotonic()
    summary = ImportSummary()
    with store.writer() as writer, _progress_bar(progress) as bar:
        committer = _Committer(writer, summary, bar)
        try:
            for path in paths:
                _import_dump(Path(path), committer, summary, bar, batch_files, batch_bytes)
        finally:
            committer.close()
    summary.seconds = time.monotonic() - started
    return summary


class _Committer:
    """Commits batches on a thread of its own while the caller reads and parses the next.

    zstd and SQLite release the GIL, so writing one batch overlaps parsing the next. One
    batch at most waits to be committed, so memory holds two batches, and commits stay
    in order: the progress a commit records never runs ahead of the documents stored.
    """

    def __init__(self, writer: FeatureWriter, summary: ImportSummary, bar: tqdm) -> None:
        self._writer = writer
        self._summary = summary
        self._bar = bar
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sleeve-ab-import")
        self._pending: tuple[Future[int], _Batch] | None = None

    def progress(self, identity: SourceProgress) -> SourceProgress:
        self.wait()
        return self._writer.progress(identity.source, identity.size, identity.mtime_ns)

    def submit(self, batch: _Batch, progress: SourceProgress) -> None:
        self.wait()
        future = self._thread.submit(self._writer.commit, batch.documents, progress)
        self._pending = (future, batch)

    def wait(self) -> None:
        """Until the pending commit is done; its failure is raised here."""
        if self._pending is None:
            return
        (future, batch), self._pending = self._pending, None
        added = future.result()
        self._summary.imported += added
        self._summary.already_stored += len(batch.documents) - added
        self._bar.update(batch.members)

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._thread.shutdown()


@contextmanager
def _progress_bar(wanted: bool) -> Iterator[tqdm]:
    shown = wanted and sys.stderr.isatty()
    with tqdm(unit=" files", unit_scale=True, file=sys.stderr, disable=not shown) as bar:
        yield bar


def _identity(path: Path) -> SourceProgress:
    stat = path.stat()
    return SourceProgress(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _import_dump(
    path: Path,
    committer: _Committer,
    summary: ImportSummary,
    bar: tqdm,
    batch_files: int,
    batch_bytes: int,
) -> None:
    try:
        fresh = _identity(path)
    except OSError as exc:
        summary.errors.append(f"{path}: {exc.strerror or exc}")
        return
    progress = fresh if path.is_dir() else committer.progress(fresh)
    summary.resumed += progress.members_done
    if progress.finished:
        summary.dumps_finished += 1
        return
    bar.set_description(path.name)
    done, batch = progress.members_done, _Batch()
    try:
        for item in read_source(path, skip=done):
            done += 1
            batch.add(_accepted(item, summary))
            if batch.members >= batch_files or batch.size >= batch_bytes:
                committer.submit(batch, dataclasses.replace(progress, members_done=done))
                batch = _Batch()
    except DumpError as exc:
        summary.errors.append(str(exc))
        committer.submit(batch, dataclasses.replace(progress, members_done=done))
        return
    committer.submit(batch, dataclasses.replace(progress, members_done=done, finished=True))
    summary.dumps_finished += 1


def _accepted(item: DumpItem, summary: ImportSummary) -> StoredDocument | None:
    if not isinstance(item, DumpEntry):
        if item.bad:
            summary.note_bad(item.name, item.reason)
        else:
            summary.note_skipped(item.name)
        return None
    try:
        level, data = checked_document(item.data, item.level)
    except BadDocument as exc:
        summary.note_bad(item.name, str(exc))
        return None
    return StoredDocument(item.mbid, level, item.n, data)
