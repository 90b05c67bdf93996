"""Checks of the TIDAL emulator itself, over real HTTP: the client-credentials token, look-ups
by barcode and ISRC answered as JSON:API compound documents, cursor paging, search, and the
error answers a gateway has to cope with (400, 401, 404, 429)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sleeve.emulators.discogs import EmulatorThread
from sleeve.emulators.tidal import JSON_API, TOKEN_PATH, TidalEmulator
from sleeve.emulators.tidal_data import (
    FICTIONAL_FREQUENCIES_ALBUM_ID,
    FICTIONAL_FREQUENCIES_BARCODE,
    FICTIONAL_FREQUENCIES_ISRCS,
    FICTIONAL_FREQUENCIES_TRACK_IDS,
    SAMPLE_COUNTRY_CODE,
    SIGNAL_TEST_ISRC,
    SIGNAL_TEST_TRACK_ID,
    UNKNOWN_ID,
)

CLIENT = ("sample-tidal-id", "sample-tidal-secret")
COUNTRY = {"countryCode": SAMPLE_COUNTRY_CODE}
GRANT = {"grant_type": "client_credentials"}

Served = tuple[TidalEmulator, httpx.Client]


@pytest.fixture
def tidal() -> Iterator[Served]:
    emulator = TidalEmulator(rate_limit=None)
    with EmulatorThread(emulator) as base_url, httpx.Client(base_url=base_url) as client:
        yield emulator, client


def bearer(client: httpx.Client) -> dict[str, str]:
    response = client.post(TOKEN_PATH, data=GRANT, auth=CLIENT)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def the_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == JSON_API
    (error,) = response.json()["errors"]
    assert error["status"] == str(status) and error["id"] and error["code"]
    return error


def test_token_by_basic_auth_or_form_fields_counted_apart(tidal: Served):
    emulator, client = tidal
    by_basic = client.post(TOKEN_PATH, data=GRANT, auth=CLIENT)
    assert by_basic.status_code == 200
    body = by_basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400 and body["access_token"]
    form = GRANT | {"client_id": CLIENT[0], "client_secret": CLIENT[1]}  # the official SDK's way
    assert client.post(TOKEN_PATH, data=form).status_code == 200
    wrong = client.post(TOKEN_PATH, data=GRANT, auth=(CLIENT[0], "not-the-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    other_grant = client.post(TOKEN_PATH, data={"grant_type": "password"}, auth=CLIENT)
    assert other_grant.json()["error"] == "unsupported_grant_type"
    assert (emulator.token_calls, emulator.calls) == (4, 0)


def test_album_by_barcode_with_its_tracks_included_in_order(tidal: Served):
    _, client = tidal
    params = COUNTRY | {"filter[barcodeId]": FICTIONAL_FREQUENCIES_BARCODE, "include": "items"}
    response = client.get("/v2/albums", params=params, headers=bearer(client))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_API
    doc = response.json()
    (album,) = doc["data"]
    assert (album["id"], album["type"]) == (FICTIONAL_FREQUENCIES_ALBUM_ID, "albums")
    attributes = album["attributes"]
    assert attributes["title"] == "Fictional Frequencies"
    assert attributes["barcodeId"] == FICTIONAL_FREQUENCIES_BARCODE
    assert attributes["releaseDate"] == "1998-03-12"
    assert (attributes["numberOfItems"], attributes["numberOfVolumes"]) == (5, 1)
    assert attributes["duration"] == "PT20M22S"  # 201 + 245 + 312 + 188 + 276 s
    items = album["relationships"]["items"]
    assert [i["id"] for i in items["data"]] == list(FICTIONAL_FREQUENCIES_TRACK_IDS)
    assert [i["meta"]["trackNumber"] for i in items["data"]] == [1, 2, 3, 4, 5]
    assert "next" not in items["links"]
    assert doc["links"]["self"].startswith(f"{str(client.base_url).rstrip('/')}/v2/albums?")
    tracks = {t["id"]: t["attributes"] for t in doc["included"] if t["type"] == "tracks"}
    assert [tracks[i]["isrc"] for i in FICTIONAL_FREQUENCIES_TRACK_IDS] == list(
        FICTIONAL_FREQUENCIES_ISRCS
    )
    first = tracks[FICTIONAL_FREQUENCIES_TRACK_IDS[0]]
    assert (first["title"], first["duration"]) == ("Opening Placeholder", "PT3M21S")


def test_album_items_page_by_cursor_links(tidal: Served):
    emulator, client = tidal
    emulator.page_size = 2
    headers = bearer(client)
    url: str | None = f"/v2/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}/relationships/items"
    seen: list[str] = []
    while url is not None:
        response = client.get(url, params=COUNTRY if not seen else None, headers=headers)
        assert response.status_code == 200
        page = response.json()
        seen += [item["id"] for item in page["data"]]
        url = page["links"].get("next")
    assert seen == list(FICTIONAL_FREQUENCIES_TRACK_IDS)
    assert emulator.calls == 3


def test_track_by_isrc_with_its_album(tidal: Served):
    _, client = tidal
    params = COUNTRY | {"filter[isrc]": SIGNAL_TEST_ISRC, "include": "albums,artists"}
    doc = client.get("/v2/tracks", params=params, headers=bearer(client)).json()
    (track,) = doc["data"]
    assert track["id"] == SIGNAL_TEST_TRACK_ID
    assert track["attributes"]["title"] == "Signal Test"
    assert track["attributes"]["duration"] == "PT4M5S"
    attributes = [(r["type"], r["attributes"]) for r in doc["included"]]
    names = {(kind, a.get("title") or a.get("name")) for kind, a in attributes}
    assert names == {("albums", "Fictional Frequencies"), ("artists", "The Example Ensemble")}


def test_search_finds_the_album(tidal: Served):
    _, client = tidal
    params = COUNTRY | {"filter[query]": "fictional frequencies", "include": "albums"}
    doc = client.get("/v2/searchResults", params=params, headers=bearer(client)).json()
    (result,) = doc["data"]
    assert result["type"] == "searchResults"
    assert result["relationships"]["albums"]["data"] == [
        {"id": FICTIONAL_FREQUENCIES_ALBUM_ID, "type": "albums"}
    ]
    assert [r["id"] for r in doc["included"]] == [FICTIONAL_FREQUENCIES_ALBUM_ID]


def test_country_code_is_required(tidal: Served):
    _, client = tidal
    response = client.get(f"/v2/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}", headers=bearer(client))
    error = the_error(response, 400)
    assert error["source"] == {"parameter": "countryCode"}


def test_bearer_token_missing_invalid_or_expired_is_401(tidal: Served):
    emulator, client = tidal
    url = f"/v2/albums/{FICTIONAL_FREQUENCIES_ALBUM_ID}"
    missing = client.get(url, params=COUNTRY)
    assert the_error(missing, 401)["source"] == {"header": "Authorization"}
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    the_error(client.get(url, params=COUNTRY, headers={"Authorization": "Bearer nope"}), 401)
    headers = bearer(client)
    assert client.get(url, params=COUNTRY, headers=headers).status_code == 200
    emulator.expire_tokens()
    expired = the_error(client.get(url, params=COUNTRY, headers=headers), 401)
    assert "expired" in str(expired["detail"])
    assert client.get(url, params=COUNTRY, headers=bearer(client)).status_code == 200


def test_past_the_limit_is_429_with_retry_after():
    emulator = TidalEmulator(rate_limit=2, window_seconds=60)
    with EmulatorThread(emulator) as base_url, httpx.Client(base_url=base_url) as client:
        headers = bearer(client)  # the token endpoint is not limited
        url = f"/v2/tracks/{SIGNAL_TEST_TRACK_ID}"
        answers = [client.get(url, params=COUNTRY, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    the_error(answers[2], 429)
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert (emulator.calls, emulator.token_calls) == (3, 1)


def test_unknown_ids_are_404_alone_and_left_out_of_collections(tidal: Served):
    _, client = tidal
    headers = bearer(client)
    the_error(client.get(f"/v2/albums/{UNKNOWN_ID}", params=COUNTRY, headers=headers), 404)
    params = COUNTRY | {"filter[id]": f"{UNKNOWN_ID},{FICTIONAL_FREQUENCIES_ALBUM_ID}"}
    listed = client.get("/v2/albums", params=params, headers=headers).json()
    assert [a["id"] for a in listed["data"]] == [FICTIONAL_FREQUENCIES_ALBUM_ID]
