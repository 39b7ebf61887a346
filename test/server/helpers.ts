import { io, type Socket } from 'socket.io-client';
import { startCallServer, type CallServer, type CallServerOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { GENEROUS_LIMITS } from '../support/servers.mjs';

/** Every test connects from 127.0.0.1: the per-address limits are raised unless a test sets them. */
export async function testServer(env: Record<string, string> = {}, options: CallServerOptions = {}): Promise<CallServer> {
  const loaded = loadConfig({ HOST: '127.0.0.1', PORT: '0', ALLOWED_ORIGINS: '*', ...GENEROUS_LIMITS, ...env });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return startCallServer(loaded.config, options);
}

export async function client(server: CallServer, options: Record<string, unknown> = {}): Promise<Socket> {
  const socket = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export const request = (socket: Socket, event: string, ...args: unknown[]): Promise<any> =>
  socket.timeout(3000).emitWithAck(event, ...args);

export async function joined(server: CallServer, room: string, displayName?: string) {
  const socket = await client(server);
  const ack = await request(socket, 'join', { v: PROTOCOL_VERSION, room, ...(displayName && { displayName }) });
  if (!ack.ok) throw new Error(JSON.stringify(ack));
  return { socket, ack };
}

/**
 * A payload without its delivery number `n`, which most tests do not care about (the resume tests do, and
 * ask for `raw` payloads).
 */
function unnumbered(payload: any): any {
  if (typeof payload !== 'object' || payload === null || !('n' in payload)) return payload;
  const { n: _n, ...rest } = payload;
  return rest;
}

/** Collects every event a socket receives, to assert what did (and did not) arrive. */
export function inbox(socket: Socket, { raw = false } = {}): Array<[string, any]> {
  const received: Array<[string, any]> = [];
  socket.onAny((event, payload) => received.push([event, raw ? payload : unnumbered(payload)]));
  return received;
}

export const nextEvent = (socket: Socket, event: string, ms = 3000, { raw = false } = {}): Promise<any> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, (payload) => {
      clearTimeout(timer);
      resolve(raw ? payload : unnumbered(payload));
    });
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
