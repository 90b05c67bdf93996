"""AcousticBrainz, answered again from its final data dumps (the service ended in 2022).

``import_dumps`` loads the dumps into a :class:`FeatureStore` (one SQLite file);
:class:`AcousticBrainzService` answers the read-only API over it.
"""

from __future__ import annotations

from .dump import DumpEntry, DumpError, Level, SkippedMember, read_source
from .importer import ImportSummary, import_dumps
from .store import FeatureStore, FeatureStoreUnavailable, FeatureWriter

__all__ = [
    "DumpEntry",
    "DumpError",
    "FeatureStore",
    "FeatureStoreUnavailable",
    "FeatureWriter",
    "ImportSummary",
    "Level",
    "SkippedMember",
    "import_dumps",
    "read_source",
]
