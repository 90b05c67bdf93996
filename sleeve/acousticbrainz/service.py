"""The AcousticBrainz API over the archive: what each read operation answers.

Answers are JSON bytes, shaped as AcousticBrainz shaped them (its API documentation and
``webserver/views/api/v1/core.py``):

- one document: the document itself; ``{"message": "Not found"}`` with 404 when the
  archive has no document ``n`` for the MBID;
- a count: ``{"mbid": mbid, "count": N}``, 0 for an MBID the archive does not know;
- bulk documents: ``{mbid: {"n": document, …}, …}`` and bulk counts ``{mbid: {"count": N}}``,
  MBIDs in lower case, unknown ones left out without a word. When a client sent an MBID
  in another case, ``"mbid_mapping": {as_sent: lower_case}`` says which key answers it
  (for the MBIDs present in the answer).

Stored documents are sent as the dump holds them, embedded byte for byte; only
``map_classes`` re-encodes a high-level document (see :mod:`.classes`).

Misses can go to a self-hosted AcousticBrainz server: ``fetch_missing`` is given an API
path with its query (``/api/v1/{mbid}/low-level?n=0``) and returns the server's answer,
or None when there is nothing to ask. Answers from there are passed on, not stored.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from ..adapters.http import UpstreamResponse
from ..errors import GatewayError, upstream_errors
from .classes import with_class_names
from .dump import Level
from .recording_ids import BadRecordingIds, RecordingRef, parse_recording_ids
from .store import FeatureStore, FeatureStoreUnavailable

__all__ = ["LEVEL_PATHS", "AcousticBrainzService", "FetchMissing"]

FetchMissing = Callable[[str], Awaitable[UpstreamResponse | None]]

#: How each level is spelled in the API's paths.
LEVEL_PATHS: Mapping[Level, str] = {"lowlevel": "low-level", "highlevel": "high-level"}

_Key = tuple[str, int]


class AcousticBrainzService:
    """Read operations of the AcousticBrainz API, answered from ``store``."""

    def __init__(self, store: FeatureStore, *, fetch_missing: FetchMissing | None = None) -> None:
        self._store = store
        self._fetch_missing = fetch_missing

    async def document(
        self, level: Level, mbid: str, n: int = 0, *, map_classes: bool = False
    ) -> bytes:
        """Document ``n`` of ``mbid``; :class:`GatewayError` 404 when there is none."""
        mbid = mbid.lower()
        try:
            stored = await self._store.get(mbid, level, n)
        except FeatureStoreUnavailable as exc:
            raise _unavailable() from exc
        if stored is not None:
            return _mapped(stored) if map_classes and level == "highlevel" else stored
        query = f"n={n}" + ("&map_classes=true" if map_classes else "")
        fetched = await self._fetched(f"/api/v1/{mbid}/{LEVEL_PATHS[level]}?{query}")
        if fetched is None:
            raise GatewayError(404, "Not found")
        return fetched

    async def count(self, mbid: str) -> bytes:
        """``{"mbid": mbid, "count": N}``: submissions of ``mbid`` (0 when unknown)."""
        mbid = mbid.lower()
        count = (await self._counts([mbid])).get(mbid, 0)
        if count == 0:
            fetched = await self._fetched(f"/api/v1/{mbid}/count")
            count = _count_in(json.loads(fetched)) if fetched is not None else 0
        return _json({"mbid": mbid, "count": count})

    async def documents(
        self, level: Level, recording_ids: str, *, map_classes: bool = False
    ) -> bytes:
        """The bulk answer for ``recording_ids`` (``mbid[:n];…``, at most 25)."""
        refs = _parsed(recording_ids)
        wanted = [(ref.mbid, ref.n) for ref in refs]
        try:
            found = await self._store.many(level, wanted)
        except FeatureStoreUnavailable as exc:
            raise _unavailable() from exc
        if map_classes and level == "highlevel":
            found = {key: _mapped(data) for key, data in found.items()}
        missing = [key for key in wanted if key not in found]
        if missing:
            found |= await self._fetched_documents(level, missing, map_classes)
        return _bulk_answer(refs, found)

    async def counts(self, recording_ids: str) -> bytes:
        """The bulk count for ``recording_ids`` (``mbid;…``; offsets are ignored)."""
        refs = _parsed(recording_ids)
        mbids = list(dict.fromkeys(ref.mbid for ref in refs))
        counts = await self._counts(mbids)
        missing = [mbid for mbid in mbids if not counts.get(mbid)]
        if missing:
            fetched = await self._fetched("/api/v1/count?recording_ids=" + quote(";".join(missing)))
            answer = json.loads(fetched) if fetched is not None else {}
            counts |= {mbid: _count_in(answer.get(mbid)) for mbid in missing}
        known = {mbid: {"count": counts[mbid]} for mbid in mbids if counts.get(mbid)}
        return _json(known | _mbid_mapping(refs, known))

    async def _counts(self, mbids: Iterable[str]) -> dict[str, int]:
        try:
            return await self._store.counts(mbids)
        except FeatureStoreUnavailable as exc:
            raise _unavailable() from exc

    async def _fetched_documents(
        self, level: Level, keys: list[_Key], map_classes: bool
    ) -> dict[_Key, bytes]:
        ids = ";".join(f"{mbid}:{n}" for mbid, n in keys)
        query = "recording_ids=" + quote(ids) + ("&map_classes=true" if map_classes else "")
        fetched = await self._fetched(f"/api/v1/{LEVEL_PATHS[level]}?{query}")
        answer = json.loads(fetched) if fetched is not None else {}
        found = {}
        for mbid, n in keys:
            document = (answer.get(mbid) or {}).get(str(n))
            if isinstance(document, dict):
                found[mbid, n] = _json(document)
        return found

    async def _fetched(self, path: str) -> bytes | None:
        """The body of a 200 from the self-hosted server; None for a 404 or no server."""
        if self._fetch_missing is None:
            return None
        with upstream_errors():
            answer = await self._fetch_missing(path)
        if answer is None or answer.status == 404:
            return None
        if answer.status != 200 or not _is_json_object(answer.body):
            raise GatewayError(502, f"The AcousticBrainz server answered {answer.status}.")
        return answer.body


def _parsed(recording_ids: str) -> list[RecordingRef]:
    try:
        return parse_recording_ids(recording_ids)
    except BadRecordingIds as exc:
        raise GatewayError(400, str(exc)) from exc


def _bulk_answer(refs: list[RecordingRef], found: Mapping[_Key, bytes]) -> bytes:
    """``{mbid: {"n": document}}`` in request order, documents embedded as stored."""
    by_mbid: dict[str, list[bytes]] = {}
    for ref in refs:
        document = found.get((ref.mbid, ref.n))
        if document is not None:
            by_mbid.setdefault(ref.mbid, []).append(b'"%d":%s' % (ref.n, document))
    parts = [b'"%s":{%s}' % (mbid.encode(), b",".join(docs)) for mbid, docs in by_mbid.items()]
    mapping = _mbid_mapping(refs, by_mbid)
    if mapping:
        parts.append(b'"mbid_mapping":' + _json(mapping["mbid_mapping"]))
    return b"{" + b",".join(parts) + b"}"


def _mbid_mapping(refs: list[RecordingRef], answered: Mapping[str, Any]) -> dict[str, Any]:
    """``{"mbid_mapping": {as_sent: lower}}`` for answered MBIDs sent in another case."""
    mapping = {ref.requested: ref.mbid for ref in refs if ref.requested != ref.mbid}
    mapping = {sent: mbid for sent, mbid in mapping.items() if mbid in answered}
    return {"mbid_mapping": mapping} if mapping else {}


def _mapped(document: bytes) -> bytes:
    return _json(with_class_names(json.loads(document)))


def _count_in(answer: Any) -> int:
    count = answer.get("count") if isinstance(answer, dict) else None
    return count if isinstance(count, int) and count >= 0 else 0


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _unavailable() -> GatewayError:
    return GatewayError(
        503, "The AcousticBrainz archive is unavailable; try again later.", {"Retry-After": "5"}
    )
