/**
 * Bounds at the Engine.IO layer, below Socket.IO, where a client can otherwise make the server hold things
 * before any handler of ours runs:
 * - connections per client address, and new connections per second (`allowRequest`, which Engine.IO asks on
 *   every handshake, before it makes a session);
 * - one namespace connection per Engine.IO connection: Socket.IO opens a namespace socket for every CONNECT
 *   packet, and one polling POST can carry tens of thousands of them before the first `connection` event;
 * - text packets only: the protocol has no binary payloads, and Socket.IO would buffer a binary packet's
 *   announced attachments until they all came;
 * - what is queued for a connection that does not read.
 *
 * State lives on the Engine.IO socket under symbols, and the listeners are shared by every connection, not a
 * set of closures each (see bench/server-footprint.ts for what a connection costs).
 */
import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import { clientAddress, rateLimitKey } from './client-address.js';
import type { AbuseLimits } from './config.js';
import { KeyedRateLimiter } from './rate-limit.js';

export interface ConnectionGuardOptions {
  limits: AbuseLimits;
  trustProxy: number;
  log?: (message: string) => void;
}

/** An Engine.IO socket as far as the guard uses it. */
interface EngineSocket {
  request: IncomingMessage | null;
  readyState: string;
  send(data: string): void;
  close(discard?: boolean): void;
  on(event: string, listener: (...args: any[]) => void): void;
  once(event: string, listener: (...args: any[]) => void): void;
  [ADDRESS]?: string;
  [CONNECTED]?: boolean;
  [QUEUED]?: number;
  [GUARD]?: Guard;
}

const ADDRESS = Symbol('address key');
const CONNECTED = Symbol('namespace connected');
const QUEUED = Symbol('queued bytes');
const GUARD = Symbol('guard');
/** On a handshake request that was counted against its address and has no Engine.IO session yet. */
const PENDING = Symbol('pending handshake');
type GuardedRequest = IncomingMessage & { [PENDING]?: { key: string; onSocketClose: () => void } };

/** Socket.IO packet types that come first in a text packet: CONNECT, and the two that announce attachments. */
const CONNECT = 0x30; // '0'
const BINARY_EVENT = 0x35; // '5'
const BINARY_ACK = 0x36; // '6'

/** Told to a client that sent binary data, in Socket.IO's text encoding for an event on the main namespace. */
const BINARY_REFUSED = `42${JSON.stringify(['protocol-error', { code: 'invalid-payload', message: 'Binary packets are not part of this protocol.' }])}`;

/** How long a refused connection may take to read its protocol-error before it is cut. */
const REFUSAL_GRACE_MS = 1000;

interface Guard {
  maxQueuedBytes: number;
  release(key: string): void;
}

export function guardConnections(io: Server, options: ConnectionGuardOptions): void {
  const { limits } = options;
  const log = options.log ?? (() => {});
  /** Open (or being opened) connections per address key; a key goes at 0, so the map holds live ones only. */
  const open = new Map<string, number>();
  const handshakes = new KeyedRateLimiter(limits.handshakeRate, limits.handshakeBurst);
  let warned = 0;
  const warn = (message: string) => {
    // One line per minute at most: a flood must not become a flood of log lines.
    if (Date.now() - warned < 60_000) return;
    warned = Date.now();
    log(message);
  };

  const release = (key: string) => {
    const count = (open.get(key) ?? 1) - 1;
    if (count <= 0) open.delete(key);
    else open.set(key, count);
  };
  const guard: Guard = { maxQueuedBytes: limits.maxQueuedBytes, release };

  // Engine.IO asks this on every handshake (a request without `sid`), before it makes a session.
  io.engine.opts.allowRequest = (request: GuardedRequest, callback: (message: string | null, success: boolean) => void) => {
    const key = rateLimitKey(clientAddress(request, options.trustProxy));
    if ((open.get(key) ?? 0) >= limits.maxConnectionsPerAddress) {
      warn(`connection limit: an address holds ${limits.maxConnectionsPerAddress} connections; refusing more`);
      return callback('too many connections from this address', false);
    }
    if (!handshakes.take(key).ok) {
      warn(`handshake rate limit: an address opens connections faster than ${limits.handshakeRate}/s`);
      return callback('too many new connections; slow down', false);
    }
    // Counted from here, so that handshakes that overlap cannot overshoot; handed to the session when it
    // exists, or given back if it never does (a failed handshake, a WebSocket upgrade that went wrong).
    open.set(key, (open.get(key) ?? 0) + 1);
    const onSocketClose = () => settlePending(request, true);
    request[PENDING] = { key, onSocketClose };
    request.socket.once('close', onSocketClose);
    callback(null, true);
  };

  /** The handshake is over: its count goes to the session (`keep`) or back to the address. */
  const settlePending = (request: GuardedRequest, giveBack: boolean): string | undefined => {
    const pending = request[PENDING];
    if (pending === undefined) return undefined;
    request[PENDING] = undefined;
    // A keep-alive TCP connection may carry many handshakes: its listeners must not pile up.
    request.socket.off('close', pending.onSocketClose);
    if (giveBack) release(pending.key);
    return pending.key;
  };
  io.engine.on('connection_error', ({ req }: { req: GuardedRequest }) => settlePending(req, true));

  io.engine.on('connection', (socket: EngineSocket) => {
    const request = socket.request as GuardedRequest | null;
    const key = request ? settlePending(request, false) : undefined;
    socket[GUARD] = guard;
    socket[QUEUED] = 0;
    if (key !== undefined) {
      socket[ADDRESS] = key;
      socket.once('close', onClose);
    }
    socket.on('packet', onPacket);
    socket.on('packetCreate', onPacketCreate);
    socket.on('flush', onFlush);
  });
}

function onClose(this: EngineSocket) {
  const key = this[ADDRESS];
  this[ADDRESS] = undefined;
  if (key !== undefined) this[GUARD]!.release(key);
}

/** Every packet the client sends, before Socket.IO decodes it. */
function onPacket(this: EngineSocket, packet: { type: string; data?: unknown }) {
  if (packet.type !== 'message') return;
  const { data } = packet;
  if (typeof data !== 'string') return refuseBinary(this);
  const type = data.charCodeAt(0);
  if (type === CONNECT) {
    // Closed at once, without waiting for what is queued: packets after this one in the same polling batch
    // find the connection no longer open and are dropped, and the namespace socket this packet still makes
    // is let go by Socket.IO because its connection has closed.
    if (this[CONNECTED]) return this.close(true);
    this[CONNECTED] = true;
  } else if (type === BINARY_EVENT || type === BINARY_ACK) {
    refuseBinary(this);
  }
}

function refuseBinary(socket: EngineSocket) {
  if (socket.readyState !== 'open') return;
  socket.send(BINARY_REFUSED);
  socket.close();
  // `close()` waits for the refusal to be written; a client that does not read is cut after a moment.
  setTimeout(() => socket.readyState !== 'closed' && socket.close(true), REFUSAL_GRACE_MS).unref();
}

/** Every packet queued for the client: counted until the queue is handed to the transport. */
function onPacketCreate(this: EngineSocket, packet: { data?: unknown }) {
  const { data } = packet;
  const size = typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0;
  const queued = (this[QUEUED] ?? 0) + size;
  this[QUEUED] = queued;
  // The transport takes the queue only once it has written the last batch: a client that does not read
  // leaves everything here. Discarded, not drained: draining is what it will not do.
  if (queued > this[GUARD]!.maxQueuedBytes) this.close(true);
}

function onFlush(this: EngineSocket) {
  this[QUEUED] = 0;
}
