/**
 * The typed client against a live gateway in front of sleeve's upstream emulators
 * (`tests/test_typescript_client.py` starts them and sets `GATEWAY_URL`).
 *
 * What it shows: the generated types match what the gateway sends (this file must
 * typecheck, strict), links in answers point back at the gateway, and errors come back as
 * the contract's typed error bodies. The expected values are the emulators' invented data.
 */

import assert from "node:assert/strict";
import { test } from "node:test";

import { createSleeveClient, rateLimitOf, type Schemas } from "../src/index.js";

const base = (() => {
  const url = process.env["GATEWAY_URL"];
  if (!url) {
    throw new Error("GATEWAY_URL must name a running gateway, e.g. http://127.0.0.1:8080");
  }
  return url.replace(/\/+$/, "");
})();

const client = createSleeveClient(base);

test("a Discogs release, with its links pointing at the gateway", async () => {
  const { data, error, response } = await client.GET("/releases/{release_id}", {
    params: { path: { release_id: 1 } },
  });
  assert.equal(response.status, 200);
  assert.equal(error, undefined);
  assert.ok(data);
  const release: Schemas["Release"] = data;
  assert.equal(release.id, 1);
  assert.equal(release.title, "Fictional Frequencies");
  assert.equal(release.resource_url, `${base}/releases/1`);
  assert.deepEqual(
    release.artists?.map((artist) => [artist.name, artist.resource_url]),
    [["The Example Ensemble", `${base}/artists/1`]],
  );
  assert.equal(release.musicbrainz_url, `${base}/releases/1/musicbrainz`);
});

test("a database search, typed hit by hit", async () => {
  const { data, response } = await client.GET("/database/search", {
    params: { query: { q: "example", type: "release", per_page: 3 } },
  });
  assert.equal(response.status, 200);
  assert.ok(data);
  assert.equal(data.pagination.per_page, 3);
  assert.equal(data.results.length, 3);
  for (const hit of data.results) {
    assert.equal(hit.type, "release");
    assert.ok(hit.resource_url.startsWith(`${base}/releases/`), hit.resource_url);
  }
  assert.ok(data.pagination.urls.next?.startsWith(`${base}/database/search?`));
});

function artistReleases(page: number) {
  return client.GET("/artists/{artist_id}/releases", {
    params: { path: { artist_id: 1 }, query: { page, per_page: 50 } },
  });
}

test("an artist's releases, page by page through the next links", async () => {
  const seen: number[] = [];
  let page: number | undefined = 1;
  let pages = 0;
  let items = 0;
  while (page !== undefined) {
    const { data, response } = await artistReleases(page);
    assert.equal(response.status, 200);
    assert.ok(data);
    const { pagination, releases } = data;
    assert.equal(pagination.page, page);
    pages = pagination.pages;
    items = pagination.items;
    seen.push(...releases.map((entry) => entry.id));
    const next = pagination.urls.next;
    if (next === undefined) {
      page = undefined;
    } else {
      assert.ok(next.startsWith(`${base}/artists/1/releases?`), next);
      page = Number(new URL(next).searchParams.get("page"));
    }
  }
  assert.ok(pages > 1, `${pages} pages`);
  assert.equal(seen.length, items);
  assert.equal(new Set(seen).size, items);
});

test("a MusicBrainz lookup as JSON, found through a Discogs release's counterparts", async () => {
  const links = await client.GET("/releases/{release_id}/musicbrainz", {
    params: { path: { release_id: 1 } },
  });
  assert.equal(links.response.status, 200);
  const twin = links.data?.musicbrainz.find((entity) => entity.entity === "release");
  assert.ok(twin, JSON.stringify(links.data));

  const { data, response } = await client.GET("/ws/2/release/{mbid}", {
    params: { path: { mbid: twin.id }, query: { inc: "artists+labels" } },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("Content-Type") ?? "", /^application\/json/);
  assert.ok(data);
  assert.equal(data.id, twin.id);
  assert.equal(data["title"], "Fictional Frequencies");
  assert.ok(Array.isArray(data["label-info"]), "inc=labels brings label-info");

  const art = await client.GET("/release/{mbid}", { params: { path: { mbid: twin.id } } });
  assert.equal(art.response.status, 200);
  const front = art.data?.images.find((image) => image.front);
  assert.ok(front?.image.startsWith(`${base}/release/${twin.id}/`), JSON.stringify(art.data));
});

test("a release Discogs lacks: 404 with the contract's error body", async () => {
  const { data, error, response } = await client.GET("/releases/{release_id}", {
    params: { path: { release_id: 999_999 } },
  });
  assert.equal(response.status, 404);
  assert.equal(data, undefined);
  assert.ok(error);
  const body: Schemas["Error"] = error;
  assert.equal(body.message, "Release not found.");
});

test("a MusicBrainz 404 in MusicBrainz' own error shape", async () => {
  const { error, response } = await client.GET("/ws/2/release/{mbid}", {
    params: { path: { mbid: "00000000-0000-4000-8000-000000000000" } },
  });
  assert.equal(response.status, 404);
  assert.ok(error && typeof error === "object", String(error));
  assert.equal(error.error, "Not Found");
});

test("a parameter the types reject is also a 400 naming it", async () => {
  const { error, response } = await client.GET("/releases/{release_id}", {
    // @ts-expect-error: the contract says release_id is an integer
    params: { path: { release_id: "abc" } },
  });
  assert.equal(response.status, 400);
  assert.match(error?.message ?? "", /release_id/);
});

test("every answer states the client's rate limit", async () => {
  const first = await client.GET("/artists/{artist_id}", { params: { path: { artist_id: 1 } } });
  const second = await client.GET("/artists/{artist_id}", { params: { path: { artist_id: 1 } } });
  const before = rateLimitOf(first.response);
  const after = rateLimitOf(second.response);
  assert.ok(before && after, "X-Discogs-Ratelimit headers");
  assert.equal(after.limit, before.limit);
  // A sliding window counter: the second request counts, while the last window's
  // requests fade out as the window slides, so the count grows by at most one.
  assert.ok(after.used >= 1 && after.used <= before.used + 1, `${before.used} then ${after.used}`);
  assert.equal(after.remaining, after.limit - after.used);
  assert.match(after.policy ?? "", /^"sleeve";q=\d+;w=\d+$/);
  assert.match(after.state ?? "", /^"sleeve";r=\d+;t=\d+$/);
});
