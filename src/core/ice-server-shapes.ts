/**
 * The shapes in which ICE-server endpoints other than this project's answer, turned into its own shape,
 * `{iceServers: [...], ttl?}`. A chunk beside the bundle, loaded by IceServerProvider only for an answer in
 * another shape; it imports nothing at run time (build/on-demand.ts, selfContainedChunks). Accepted:
 * - a bare array;
 * - Twilio's token resource: `{ice_servers: [{url, urls?, username?, credential?}], ttl: "86400"}`;
 * - Cloudflare's generate-ice-servers: `{iceServers: {...}}` (an object in older answers) or an array;
 * - a wrapper: `{success, data: {iceServers, ttl?}}`;
 * - the TURN REST API draft: `{username, password, ttl, uris: [...]}`.
 */

/** An answer in this project's shape, before validation (src/core/ice-servers.ts, validIceServers). */
export interface IceServersAnswer {
  iceServers: unknown[];
  ttl?: unknown;
}

export function ownShape(body: unknown): IceServersAnswer {
  const value = unwrap(body);
  if (Array.isArray(value)) return { iceServers: value };
  if (isObject(value) && 'iceServers' in value) return { iceServers: [value.iceServers].flat(), ttl: value.ttl };
  if (isObject(value) && Array.isArray(value.ice_servers)) {
    const iceServers = value.ice_servers.map((server: unknown) =>
      // Twilio lists each server twice over: `url` (legacy) and `urls`; keep one.
      isObject(server) ? { urls: server.urls ?? server.url, username: server.username, credential: server.credential } : server,
    );
    return { iceServers, ttl: value.ttl };
  }
  if (isObject(value) && Array.isArray(value.uris)) {
    return { iceServers: [{ urls: value.uris, username: value.username, credential: value.password }], ttl: value.ttl };
  }
  throw new Error('unexpected response: no iceServers, ice_servers or uris in it');
}

function unwrap(body: unknown): unknown {
  if (isObject(body) && isObject(body.data) && !('iceServers' in body) && !('ice_servers' in body)) return body.data;
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
