/**
 * PeerServer (the `peer` package, PeerJS's signaling server) as the baseline of bench/call-setup.ts and
 * bench/server-footprint.ts, started the way its README shows, on HOST and PORT (0 picks a free port), printing "listening on <url>"
 * like the reference server so test/support/servers.mjs can start both alike.
 *
 * peer 1.0.2 accepts ws 7 or 8 but uses ws 8's `WebSocketServer`; in this repository npm hoisted ws 7 (for
 * @web/test-runner), so peer's own ESM entry fails to load and its CommonJS one fails on the first
 * connection. PeerServer is therefore loaded as CommonJS and handed a ws 8 server through its
 * `createWebSocketServer` option: the very ws that engine.io, under the reference server, uses.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
const { PeerServer } = require('peer') as typeof import('peer');
const { WebSocketServer } = createRequire(require.resolve('engine.io'))('ws') as { WebSocketServer: new (options: object) => never };

const host = process.env.HOST ?? '127.0.0.1';
PeerServer(
  {
    host,
    port: Number(process.env.PORT ?? 0),
    createWebSocketServer: (options) => new WebSocketServer(options),
    // Its default cap (5000 clients) is above what the bench opens; raised so a larger run is never refused.
    concurrent_limit: 1_000_000,
  },
  (server) => console.log(`listening on http://${host}:${(server.address() as AddressInfo).port}`),
);
