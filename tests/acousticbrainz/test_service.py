"""The API's answers over a real archive file: look-ups, counts, bulk shapes and limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sleeve.adapters.http import UpstreamResponse, UpstreamTimeout

from sleeve.acousticbrainz import FeatureStore, import_dumps
from sleeve.acousticbrainz.classes import CLASS_NAMES
from sleeve.acousticbrainz.service import AcousticBrainzService
from sleeve.errors import GatewayError
from tests.acousticbrainz import dumps

A, B, C = (dumps.mbid_for(seed) for seed in (101, 102, 103))
UNKNOWN = dumps.mbid_for(104)
HIGH = [(A, 0), (A, 1), (B, 0)]
LOW = [(A, 0), (A, 1), (A, 2), (C, 0)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("service")
    highs = dumps.write_archive(folder / "highlevel.tar.zst", dumps.members("highlevel", HIGH))
    lows = dumps.write_archive(folder / "lowlevel.tar.zst", dumps.members("lowlevel", LOW))
    summary = import_dumps([highs, lows], FeatureStore(folder / "a.db"), progress=False)
    assert summary.imported == len(HIGH) + len(LOW)
    return folder / "a.db"


@pytest.fixture
async def store(archive: Path) -> AsyncIterator[FeatureStore]:
    opened = FeatureStore(archive)
    yield opened
    await opened.close()


@pytest.fixture
def service(store: FeatureStore) -> AcousticBrainzService:
    return AcousticBrainzService(store)


def high(mbid: str, n: int) -> dict[str, Any]:
    return dumps.high_level_document(mbid, n)


def low(mbid: str, n: int) -> dict[str, Any]:
    return dumps.low_level_document(mbid, n)


async def refused(call: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        await call
    return caught.value


async def test_single_documents_default_to_the_first_submission(
    service: AcousticBrainzService,
) -> None:
    assert json.loads(await service.document("lowlevel", A)) == low(A, 0)
    assert json.loads(await service.document("lowlevel", A, 2)) == low(A, 2)
    assert json.loads(await service.document("highlevel", A.upper(), 1)) == high(A, 1)


async def test_a_missing_document_is_404_not_found(service: AcousticBrainzService) -> None:
    for call in (
        service.document("lowlevel", A, 3),
        service.document("highlevel", C),
        service.document("lowlevel", UNKNOWN),
    ):
        error = await refused(call)
        assert (error.status, error.message) == (404, "Not found")


async def test_map_classes_names_the_genre_classes(service: AcousticBrainzService) -> None:
    plain = json.loads(await service.document("highlevel", B))
    mapped = json.loads(await service.document("highlevel", B, map_classes=True))
    rosamerica = mapped["highlevel"]["genre_rosamerica"]
    assert set(rosamerica["all"]) == {
        "classical", "dance", "hip_hop", "jazz", "pop", "rhythm", "rock", "speech"
    }  # fmt: skip
    assert rosamerica["all"]["rock"] == plain["highlevel"]["genre_rosamerica"]["all"]["roc"]
    short = plain["highlevel"]["genre_tzanetakis"]["value"]
    assert (
        mapped["highlevel"]["genre_tzanetakis"]["value"] == CLASS_NAMES["genre_tzanetakis"][short]
    )
    assert mapped["highlevel"]["mood_happy"] == plain["highlevel"]["mood_happy"]
    assert mapped["metadata"] == plain["metadata"]


async def test_counts_are_lower_cased_and_zero_when_unknown(service: AcousticBrainzService) -> None:
    assert json.loads(await service.count(A.upper())) == {"mbid": A, "count": 3}
    assert json.loads(await service.count(B)) == {"mbid": B, "count": 1}
    assert json.loads(await service.count(UNKNOWN)) == {"mbid": UNKNOWN, "count": 0}


async def test_bulk_documents_by_mbid_then_offset(service: AcousticBrainzService) -> None:
    answer = json.loads(await service.documents("lowlevel", f"{A};{A}:2;{C}:0;{B};{UNKNOWN}:1"))
    assert answer == {A: {"0": low(A, 0), "2": low(A, 2)}, C: {"0": low(C, 0)}}


async def test_bulk_offsets_that_are_not_offsets_mean_zero(service: AcousticBrainzService) -> None:
    answer = json.loads(await service.documents("highlevel", f"{A}:-1;{B}:x;{A}:"))
    assert answer == {A: {"0": high(A, 0)}, B: {"0": high(B, 0)}}


async def test_bulk_keys_are_lower_case_and_mbid_mapping_names_the_case_sent(
    service: AcousticBrainzService,
) -> None:
    sent = f"{A.upper()}:1;{B};{UNKNOWN.upper()}"
    answer = json.loads(await service.documents("highlevel", sent))
    assert answer == {A: {"1": high(A, 1)}, B: {"0": high(B, 0)}, "mbid_mapping": {A.upper(): A}}


async def test_bulk_high_level_maps_classes_when_asked(service: AcousticBrainzService) -> None:
    answer = json.loads(await service.documents("highlevel", f"{B}", map_classes=True))
    assert "rock" in answer[B]["0"]["highlevel"]["genre_rosamerica"]["all"]


async def test_bulk_takes_25_distinct_items_and_refuses_26(service: AcousticBrainzService) -> None:
    many = [dumps.mbid_for(1000 + i) for i in range(25)]
    assert json.loads(await service.documents("lowlevel", ";".join([*many, f"{A}:0"][1:]))) == {
        A: {"0": low(A, 0)}
    }
    repeated = ";".join([*many, many[0], f"{many[0]}:0", many[1].upper()])
    assert json.loads(await service.documents("lowlevel", repeated)) == {}
    error = await refused(service.documents("lowlevel", ";".join([*many, A])))
    assert error.status == 400
    assert error.message == "More than 25 recordings not allowed per request"
    error = await refused(service.counts(";".join([*many, A])))
    assert "25" in error.message


@pytest.mark.parametrize(
    ("recording_ids", "message"),
    [
        ("not-a-uuid", "'not-a-uuid' is not a valid UUID"),
        (f"{A};{A[:-1]}", f"'{A[:-1]}' is not a valid UUID"),
        (f"{A};", "'' is not a valid UUID"),
        (f"{A}:1:2", f"More than 1 : in '{A}:1:2'"),
        ("", "Missing `recording_ids` parameter"),
    ],
)
async def test_malformed_bulk_items_are_400_naming_the_item(
    service: AcousticBrainzService, recording_ids: str, message: str
) -> None:
    for call in (service.documents("highlevel", recording_ids), service.counts(recording_ids)):
        error = await refused(call)
        assert (error.status, error.message) == (400, message)


async def test_bulk_counts_leave_unknown_mbids_out(service: AcousticBrainzService) -> None:
    answer = json.loads(await service.counts(f"{A}:2;{A};{B};{UNKNOWN};{C.upper()}"))
    assert answer == {
        A: {"count": 3},
        B: {"count": 1},
        C: {"count": 1},
        "mbid_mapping": {C.upper(): C},
    }


class SelfHostedServer:
    """Stands in for a self-hosted AcousticBrainz server: the fetch seam's other side."""

    def __init__(self, answers: dict[str, UpstreamResponse | Exception]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, path: str) -> UpstreamResponse | None:
        self.asked.append(path)
        answer = self.answers.get(path)
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(value: Any) -> UpstreamResponse:
    return UpstreamResponse(200, {"Content-Type": "application/json"}, json.dumps(value).encode())


async def test_misses_go_to_a_self_hosted_server_when_there_is_one(store: FeatureStore) -> None:
    remote = {"lowlevel": {}, "rhythm": {}, "tonal": {}, "metadata": {"from": "server"}}
    server = SelfHostedServer({
        f"/api/v1/{UNKNOWN}/low-level?n=0": ok(remote),
        f"/api/v1/{UNKNOWN}/count": ok({"mbid": UNKNOWN, "count": 4}),
        f"/api/v1/low-level?recording_ids={UNKNOWN}%3A0": ok({UNKNOWN: {"0": remote}}),
        f"/api/v1/count?recording_ids={UNKNOWN}": ok({UNKNOWN: {"count": 4}}),
    })  # fmt: skip
    service = AcousticBrainzService(store, fetch_missing=server)
    assert json.loads(await service.document("lowlevel", UNKNOWN)) == remote
    assert json.loads(await service.document("lowlevel", A)) == low(A, 0)
    assert json.loads(await service.count(UNKNOWN)) == {"mbid": UNKNOWN, "count": 4}
    bulk = json.loads(await service.documents("lowlevel", f"{A};{UNKNOWN}"))
    assert bulk == {A: {"0": low(A, 0)}, UNKNOWN: {"0": remote}}
    assert json.loads(await service.counts(f"{A};{UNKNOWN}")) == {
        A: {"count": 3},
        UNKNOWN: {"count": 4},
    }
    assert len(server.asked) == 4  # hits never leave the archive


async def test_a_failing_server_is_an_honest_gateway_error(store: FeatureStore) -> None:
    server = SelfHostedServer({
        f"/api/v1/{UNKNOWN}/low-level?n=0": UpstreamResponse(500, {}, b"oops"),
        f"/api/v1/{UNKNOWN}/high-level?n=0": UpstreamTimeout("AcousticBrainz", "slow"),
        f"/api/v1/{UNKNOWN}/high-level?n=1": UpstreamResponse(404, {}, b'{"message": "Not found"}'),
    })  # fmt: skip
    service = AcousticBrainzService(store, fetch_missing=server)
    assert (await refused(service.document("lowlevel", UNKNOWN))).status == 502
    assert (await refused(service.document("highlevel", UNKNOWN))).status == 504
    assert (await refused(service.document("highlevel", UNKNOWN, 1))).status == 404


async def test_an_unavailable_archive_is_503(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = FeatureStore(tmp_path / "file" / "a.db")
    service = AcousticBrainzService(store)
    try:
        for call in (
            service.document("lowlevel", A),
            service.count(A),
            service.documents("lowlevel", A),
            service.counts(A),
        ):
            error = await refused(call)
            assert error.status == 503 and "Retry-After" in error.headers
    finally:
        await store.close()
