/**
 * PeerJS's own signaling server (`peer` 1.0.2) for the PeerJS baseline, in a process of its own like the
 * widget's reference server: started by test/support/servers.mjs (HOST and PORT from the environment;
 * prints "listening on <url>"). PeerServer's timers cannot be stopped, so it could not share a process that
 * must exit.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

// `peer`'s ES module build (and its CLI) import `WebSocketServer` by name from `ws`, which the ws 7 that npm
// resolved for it does not export; its CommonJS build, given ws 7's `Server` as the factory, works.
const require = createRequire(import.meta.url);
const { PeerServer } = require('peer') as typeof import('peer');
const { Server: WebSocketServer } = require('ws') as { Server: new (options: object) => never };

PeerServer(
  {
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 0),
    path: '/',
    createWebSocketServer: (options) => new WebSocketServer(options),
  },
  (server) => {
    const { address, port } = server.address() as AddressInfo;
    console.log(`listening on http://${address}:${port}`);
  },
);
