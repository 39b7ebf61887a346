/**
 * Engine.IO v4 spoken by hand, for the tests that send what no real client would: packets joined into one
 * long-polling POST, frames over a bare WebSocket, from a loopback address of the test's choosing.
 */
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';

/** Engine.IO v4 separates the packets of one long-polling payload with the record separator. */
export const SEPARATOR = '\x1e';

export interface RawHttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request from `localAddress` (a 127/8 address: all of it is loopback on Linux). */
export function rawHttp(url: string, options: { method?: string; body?: string; localAddress?: string } = {}): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        localAddress: options.localAddress,
        agent: false,
        headers: options.body === undefined ? {} : { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(options.body) },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url} within 10 s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A long-polling Engine.IO session: its handshake done, `sid` known. */
export async function pollingSession(serverUrl: string, localAddress?: string) {
  const base = `${serverUrl}/socket.io/?EIO=4&transport=polling`;
  const open = await rawHttp(base, { localAddress });
  if (open.status !== 200 || !open.body.startsWith('0')) throw new Error(`handshake refused: ${open.status} ${open.body}`);
  const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
  const url = `${base}&sid=${encodeURIComponent(sid)}`;
  return {
    sid,
    /** POSTs packets as one payload. */
    post: (packets: string[]) => rawHttp(url, { method: 'POST', body: packets.join(SEPARATOR), localAddress }),
    poll: () => rawHttp(url, { localAddress }),
  };
}

/** A bare Engine.IO WebSocket; resolves once the server's open packet has arrived. */
export function rawWebSocket(serverUrl: string, localAddress?: string): Promise<WebSocket> {
  const url = `${serverUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no Engine.IO open packet within 10 s'));
    }, 10_000);
    socket.once('message', (data) => {
      clearTimeout(timer);
      const frame = (data as Buffer).toString();
      if (frame.startsWith('0')) resolve(socket);
      else reject(new Error(`unexpected first frame ${frame.slice(0, 80)}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolves when the socket is closed (by either side), with how long that took. */
export const closed = (socket: WebSocket, ms = 10_000): Promise<void> =>
  socket.readyState === WebSocket.CLOSED
    ? Promise.resolve()
    : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
