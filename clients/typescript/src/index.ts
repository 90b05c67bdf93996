/**
 * A typed client for a sleeve gateway: openapi-fetch over the types openapi-typescript
 * generates from sleeve's contract (`npm run generate` writes `src/schema.ts`).
 *
 * The types are the contract's, so a path, a parameter or a field the contract does not
 * declare is a compile error; the runtime is `fetch` and openapi-fetch (some 500
 * lines), nothing generated.
 */

import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** The contract's schemas by name: `Schemas["Release"]`, `Schemas["Error"]`, … */
export type Schemas = components["schemas"];

/** A client whose answers are typed as their JSON representation. */
export type SleeveClient = Client<paths, "application/json">;

export interface SleeveClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** A client key (`sleeve keys new NAME`), sent as `X-Sleeve-Key`. */
  key?: string | undefined;
}

/**
 * MusicBrainz answers XML unless asked for JSON, while the client's types are the JSON
 * ones: ask for JSON wherever the caller has not chosen (by `fmt` or `Accept`) already.
 */
const musicBrainzAsJson: Middleware = {
  onRequest({ request, schemaPath }) {
    if (schemaPath.startsWith("/ws/2/") && !request.headers.has("Accept")) {
      request.headers.set("Accept", "application/json");
    }
    return request;
  },
};

/** Sends the client key on every request that does not carry one already. */
function withKey(key: string): Middleware {
  return {
    onRequest({ request }) {
      if (!request.headers.has("X-Sleeve-Key")) {
        request.headers.set("X-Sleeve-Key", key);
      }
      return request;
    },
  };
}

/** A typed client for the gateway at `baseUrl` (e.g. `http://127.0.0.1:8080`). */
export function createSleeveClient(
  baseUrl: string,
  { key, ...options }: SleeveClientOptions = {},
): SleeveClient {
  const client = createClient<paths, "application/json">({
    ...options,
    baseUrl: baseUrl.replace(/\/+$/, ""),
  });
  client.use(musicBrainzAsJson);
  if (key !== undefined) {
    client.use(withKey(key));
  }
  return client;
}

/** A client's standing in its rate-limit window, as every answer of sleeve states it. */
export interface RateLimit {
  /** Requests allowed per window (`X-Discogs-Ratelimit`). */
  limit: number;
  /** Requests made in the current window, the answered one included. */
  used: number;
  /** Requests left in the current window. */
  remaining: number;
  /** The IETF draft's `RateLimit-Policy` and `RateLimit` fields, as sent. */
  policy: string | null;
  state: string | null;
}

/**
 * The rate-limit headers of an answer, or `undefined` when it carries none (a response
 * from something other than sleeve). Header types are not part of openapi-fetch's typed
 * results, so this reads them once, in one place.
 */
export function rateLimitOf(response: Response): RateLimit | undefined {
  const figures = ["X-Discogs-Ratelimit", "X-Discogs-Ratelimit-Used", "X-Discogs-Ratelimit-Remaining"]
    .map((name) => response.headers.get(name))
    .map((value) => (value === null || !/^\d+$/.test(value) ? undefined : Number(value)));
  const [limit, used, remaining] = figures;
  if (limit === undefined || used === undefined || remaining === undefined) {
    return undefined;
  }
  return {
    limit,
    used,
    remaining,
    policy: response.headers.get("RateLimit-Policy"),
    state: response.headers.get("RateLimit"),
  };
}
