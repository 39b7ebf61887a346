import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, ServerResponse, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, type Socket } from 'socket.io';
import { DisplayName, LEAVE_PATH, LeaveBeacon, MAX_LEAVE_BEACON_BYTES, parse, RoomName } from '../src/protocol/protocol.js';
import { clientAddress, rateLimitKey } from './client-address.js';
import type { ServerConfig } from './config.js';
import {
  createIceServerSource,
  IceProviderError,
  type IceClient,
  type IceServerProvider,
  type ProviderBaseUrls,
} from './ice-providers.js';
import { guardConnections } from './connection-guard.js';
import { KeyedRateLimiter } from './rate-limit.js';
import { RoomAuth, signRoomToken } from './room-auth.js';
import { attachSignaling, type SignalingOptions } from './signaling.js';

/** Files the server hands out: the built widget (always) and the demo page (with `DEMO=on`). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STATIC_DIRS = { '/': join(ROOT, 'demo'), '/dist/': join(ROOT, 'dist') };

/**
 * Transport frames above this are dropped by Socket.IO with the connection; below it, payloads over the
 * protocol's own limit still get a `payload-too-large` ack, which is the clear error clients should see.
 */
const MAX_FRAME_BYTES = 256 * 1024;

/** The widget connects the namespace in the same round trip as the handshake; 10 s is ample on any network. */
const CONNECT_TIMEOUT_MS = 10_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

export interface CallServer {
  http: HttpServer;
  io: Server;
  url: string;
  /** The room-token verifier built from `config.roomAuth`, shared by signaling and `/ice-servers`; null: open rooms. */
  roomAuth: RoomAuth | null;
  close(): Promise<void>;
}

export interface CallServerOptions {
  log?: (message: string) => void;
  relay?: SignalingOptions['relay'];
  /**
   * Test hook: where the Twilio and Cloudflare APIs are, so tests can use fakes on loopback. Deliberately
   * not an environment variable: nothing in a deployment's environment can send its API secrets elsewhere.
   */
  providerBaseUrls?: ProviderBaseUrls;
  /** Test hook: how long a provider may take to answer (5 s otherwise). */
  providerTimeoutMs?: number;
}

/** The same bound the Socket.IO handshake puts on `auth.token`. */
const MAX_TOKEN_CHARS = 4096;

/**
 * Node's defaults give a client 60 s to send its headers and 5 min for a whole request, which lets a slow
 * client (slowloris) hold sockets cheaply. Nothing this server receives over plain HTTP is large: headers
 * and Socket.IO's long-polling bodies (at most MAX_FRAME_BYTES) arrive in well under these, even on a poor
 * mobile link. The limits cover receiving a request only: a long-poll waiting for its answer, or an upgraded
 * WebSocket, is not affected.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * An idle keep-alive connection is closed after 5 s, Node's default, written down so that it is a decision.
 * A reverse proxy that keeps upstream connections open should close idle ones sooner than that, or it may
 * send a request down a connection this server is just closing.
 */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node looks for requests over those limits; its default of 30 s would stretch 10 s to 40. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * Leave beacons per client address: a page sends one as it goes away. A burst covers an office behind one
 * NAT closing its calls at once; the rate, a client sending them in a loop (each costs an HMAC).
 */
const LEAVE_RATE = 1;
const LEAVE_BURST = 20;

/** The demo's room tokens: long enough to try things, short enough that one copied out is soon worthless. */
const DEMO_TOKEN_TTL_SECONDS = 600;

/** JSON is data, never a document: should a browser ever render one, nothing in it may run or be framed. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The demo page's CSP: its script and styles are files of its own (demo.js, demo.css), so no inline code
 * is allowed at all.
 * - The widget's own styles are constructed stylesheets (Lit's `adoptedStyleSheets`), which style-src does
 *   not govern, so `'self'` is enough there too.
 * - Signaling (WebSocket, or long-polling), `/ice-servers` and `/demo-token` are all on this origin; CSP 3's
 *   `'self'` covers ws: and wss: of the same host.
 * - Calls play in `<video>` through `srcObject`, which media-src does not govern: no media-src is needed.
 */
const demoPageCsp = (frameAncestors: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');

export async function startCallServer(config: ServerConfig, options: CallServerOptions = {}): Promise<CallServer> {
  const log = options.log ?? (() => {});
  const isAllowedOrigin = (origin: string | undefined) =>
    config.allowedOrigins === '*' || origin === undefined || config.allowedOrigins.includes(origin);

  const http = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (request, response) => {
      handleHttp(request, response).catch((error) => {
        // One line, and not the URL: a log line must not carry what a client chose to write.
        log(`http error: ${describeError(error)}`);
        if (!response.headersSent) sendJson(response, 500, { error: 'internal' });
        else response.destroy();
      });
    },
  );

  const io = new Server(http, {
    // The widget bundles its own client; serving Socket.IO's would only show a prober which version runs here.
    serveClient: false,
    maxHttpBufferSize: MAX_FRAME_BYTES,
    // The origin check is done below, where a refused client gets a readable reason instead of a CORS failure.
    cors: { origin: true },
    // A connection that never joins the namespace is let go after this, not Socket.IO's 45 s.
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  guardConnections(io, { limits: config.limits, trustProxy: config.trustProxy, log });
  io.use((socket, next) => {
    // A second namespace connect on a connection whose request was already let go (releaseHandshakeRequests)
    // would arrive with no headers to check: the widget never does that, so it is refused.
    if (!socket.request) return next(new Error('origin-not-allowed: this connection has joined already'));
    const origin = socket.handshake.headers.origin;
    if (!isAllowedOrigin(origin)) return next(new Error(`origin-not-allowed: ${origin} may not use this server`));
    next();
  });
  releaseHandshakeRequests(io);
  const roomAuth = config.roomAuth && new RoomAuth(config.roomAuth);
  const signaling = attachSignaling(io, {
    signalRate: config.signalRate,
    signalBurst: config.signalBurst,
    addressSignalRate: config.limits.addressSignalRate,
    addressSignalBurst: config.limits.addressSignalBurst,
    trustProxy: config.trustProxy,
    roomAuth,
    resumeGraceMs: config.resumeGraceMs,
    resumeSecret: config.resumeSecret ?? undefined,
    log,
    relay: options.relay,
  });
  const iceSource = createIceServerSource(config, {
    log,
    baseUrls: options.providerBaseUrls,
    timeoutMs: options.providerTimeoutMs,
  });
  // Every answer mints credentials or may cost a paid API call, so one client must not be able to ask in a loop.
  const iceLimiter = new KeyedRateLimiter(config.iceRate, config.iceBurst);

  // The demo page has no backend of its own to get room tokens from; with room auth on, this stands in for
  // one. It can only sign with the HS256 secret: a public key or a JWKS URL verifies but cannot sign.
  const demoTokens =
    config.demo && config.roomAuth?.secret
      ? { secret: config.roomAuth.secret, limiter: new KeyedRateLimiter(config.iceRate, config.iceBurst) }
      : null;
  if (demoTokens) {
    log('warning: DEMO is on with room auth: GET /demo-token signs a token for any room to anyone who asks; for development only');
  } else if (config.demo && config.roomAuth) {
    log('warning: DEMO is on with room auth but no ROOM_TOKEN_SECRET to sign demo tokens with: the demo page will join without one and be refused');
  }
  const pageCsp = demoPageCsp(config.frameAncestors);
  const leaveLimiter = new KeyedRateLimiter(LEAVE_RATE, LEAVE_BURST);

  async function handleHttp(request: IncomingMessage, response: ServerResponse) {
    // On every answer: no sniffing a body into something executable, and no URL of ours sent on in Referer.
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    const url = requestUrl(request.url);
    if (!url) return sendJson(response, 400, { error: 'bad request' });
    if (url.pathname === '/healthz') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(response, 'GET, HEAD');
      // Counts tell an outsider how busy the server is, so they are for the operator to switch on.
      if (!config.healthzDetails) return sendJson(response, 200, { status: 'ok' });
      return sendJson(response, 200, {
        status: 'ok',
        rooms: signaling.rooms.roomCount,
        connections: io.engine.clientsCount,
        uptimeSeconds: Math.round(process.uptime()),
      });
    }
    if (url.pathname === '/ice-servers') return serveIceServers(request, response);
    if (url.pathname === LEAVE_PATH) return serveLeave(request, response);
    if (url.pathname === '/demo-token' && demoTokens) return serveDemoToken(request, response, url, demoTokens);
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(response, 'GET, HEAD');
    // The widget is a public asset meant to be loaded by other sites' pages, and module scripts need CORS. Beside
    // it, the chunks it loads on demand (`call-widget-*.js`), by the same relative URL as in dist/.
    if (/^\/call-widget(-[a-z0-9-]+)?\.js$/.test(url.pathname)) return serveStatic(`/dist${url.pathname}`, response, pageCsp);
    if (url.pathname.startsWith('/dist/')) return serveStatic(url.pathname, response, pageCsp);
    if (!config.demo) return sendJson(response, 404, { error: 'not found' });
    return serveStatic(url.pathname === '/' ? '/index.html' : url.pathname, response, pageCsp);
  }

  async function serveIceServers(request: IncomingMessage, response: ServerResponse) {
    const origin = request.headers.origin;
    // No Origin: not a browser (a native app, a test, curl). Let through like an allowed origin, since
    // Origin is no proof of anything outside a browser; the per-address limit below applies all the same.
    if (!isAllowedOrigin(origin)) return sendJson(response, 403, { error: "this page's origin may not use this server (ALLOWED_ORIGINS)" });
    if (origin) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      response.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      // Not a CORS-safelisted header: without this a page could not read when to try again.
      response.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    }
    if (request.method === 'OPTIONS') return void response.writeHead(204).end();
    if (request.method !== 'GET') return methodNotAllowed(response, 'GET, OPTIONS');
    response.setHeader('Cache-Control', 'no-store');
    const addressKey = rateLimitKey(clientAddress(request, config.trustProxy));
    // Before the token check: a verification can cost a JWKS fetch, and a bad token must cost its sender too.
    const limit = iceLimiter.take(addressKey);
    if (!limit.ok) {
      response.setHeader('Retry-After', String(limit.retryAfterSeconds));
      return sendJson(response, 429, { error: `too many requests; try again in ${limit.retryAfterSeconds} s` });
    }
    const token = bearerToken(request);
    if (token !== undefined && token.length > MAX_TOKEN_CHARS) {
      return sendJson(response, 400, { error: `the bearer token must be at most ${MAX_TOKEN_CHARS} characters` });
    }
    // coturn's per-user quota binds to this: the participant when tokens say who it is, else the address.
    let userKey = `address:${addressKey}`;
    if (roomAuth) {
      // TURN relays are the costly part of a deployment: with rooms closed, so are the credentials for them.
      const check = token === undefined ? { ok: false as const, why: 'no room token (send Authorization: Bearer <room token>)' } : await roomAuth.verify(token);
      if (!check.ok) {
        // RFC 6750: a challenge either way, and `invalid_token` when one was sent.
        response.setHeader('WWW-Authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
        return sendJson(response, 401, { error: `unauthorized: ${check.why}` });
      }
      userKey = `sub:${check.grant.sub}`;
    }
    const [status, body] = await iceServersFor(iceSource, { userKey });
    return sendJson(response, status, body);
  }

  /**
   * `POST /leave` with a resume token as `text/plain` (`navigator.sendBeacon(url, token)`): the participant
   * leaves at once, as with `leave`. 204 whether or not the token matched anyone, so the answer does not tell
   * which tokens are live; the token itself is never logged.
   */
  async function serveLeave(request: IncomingMessage, response: ServerResponse) {
    if (request.method !== 'POST') return methodNotAllowed(response, 'POST');
    response.setHeader('Cache-Control', 'no-store');
    const origin = request.headers.origin;
    // As for socket connections: no Origin is not a browser, and passes (the rate limit still applies).
    if (!isAllowedOrigin(origin)) return sendJson(response, 403, { error: "this page's origin may not use this server (ALLOWED_ORIGINS)" });
    if (origin) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
    }
    const limit = leaveLimiter.take(rateLimitKey(clientAddress(request, config.trustProxy)));
    if (!limit.ok) {
      response.setHeader('Retry-After', String(limit.retryAfterSeconds));
      return sendJson(response, 429, { error: `too many requests; try again in ${limit.retryAfterSeconds} s` });
    }
    // text/plain is what a string beacon is sent as, and it needs no preflight; nothing else is a beacon.
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/plain') return sendJson(response, 415, { error: 'the body must be text/plain: the resume token' });
    const body = await readBody(request, MAX_LEAVE_BEACON_BYTES);
    if (body === 'too-large') return refuseBody(response, 413, { error: `the body must be at most ${MAX_LEAVE_BEACON_BYTES} bytes` });
    if (body === 'aborted') return;
    const token = parse(LeaveBeacon, body.toString('utf8'));
    if (!token.ok) return sendJson(response, 400, { error: 'the body is not a resume token' });
    signaling.leaveWithToken(token.value);
    response.writeHead(204).end();
  }

  /** `GET /demo-token?room=R&name=N`: a room token for the demo page, signed as the site's backend would. */
  async function serveDemoToken(request: IncomingMessage, response: ServerResponse, url: URL, demo: NonNullable<typeof demoTokens>) {
    if (request.method !== 'GET') return methodNotAllowed(response, 'GET');
    response.setHeader('Cache-Control', 'no-store');
    const limit = demo.limiter.take(rateLimitKey(clientAddress(request, config.trustProxy)));
    if (!limit.ok) {
      response.setHeader('Retry-After', String(limit.retryAfterSeconds));
      return sendJson(response, 429, { error: `too many requests; try again in ${limit.retryAfterSeconds} s` });
    }
    // The schemas' messages are our own words and never quote the value.
    const room = parse(RoomName, url.searchParams.get('room') ?? undefined);
    if (!room.ok) return sendJson(response, 400, { error: room.error.message });
    const nameParam = url.searchParams.get('name');
    const name = nameParam ? parse(DisplayName, nameParam) : null;
    if (name && !name.ok) return sendJson(response, 400, { error: name.error.message });
    const token = await signRoomToken(demo.secret, {
      room: room.value,
      // Every visitor is someone new: the demo knows no users, and two tabs must be two participants.
      sub: `demo-${randomUUID()}`,
      ...(name && { name: name.value }),
      ttlSeconds: DEMO_TOKEN_TTL_SECONDS,
    });
    return sendJson(response, 200, { token, ttl: DEMO_TOKEN_TTL_SECONDS });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;

  return {
    http,
    io,
    url: `http://${displayHost}:${address.port}`,
    roomAuth,
    close: () =>
      new Promise<void>((resolve) => {
        iceSource.close();
        void io.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Where the engine middleware below leaves a WebSocket request's stand-in response object. */
const STAND_IN = Symbol('stand-in response');
type EngineRequest = IncomingMessage & { [STAND_IN]?: { req: unknown } };

/**
 * Lets go of the HTTP request that opened each connection once it is no longer needed. Engine.IO keeps it for
 * the connection's whole life (`socket.request`), and for a WebSocket so does the stand-in response object it
 * makes for its middlewares (held by a `close` listener on the TCP socket): about 0.8 KiB per idle
 * connection (raw headers, URL, parser state) that nothing here reads after the handshake.
 *
 * - The stand-in's reference goes when Engine.IO emits `headers` for the upgrade: every middleware has run by
 *   then, and the stand-in is not used again. This also covers a long-polling connection's later upgrade.
 * - `socket.request` goes once Socket.IO has built `socket.handshake` (headers, auth, address, which stay)
 *   and run its middlewares (`io.use`, the origin check above), that is at `connection`.
 *
 * A deployment that reads `socket.request` after the connection (express-session, say) should drop this call.
 */
function releaseHandshakeRequests(io: Server) {
  io.engine.use((request: EngineRequest, response: unknown, next: () => void) => {
    // A real ServerResponse (long-polling) lets go of its request itself once it has ended.
    if (!(response instanceof ServerResponse)) request[STAND_IN] = response as { req: unknown };
    next();
  });
  io.engine.on('headers', (_headers: unknown, request: EngineRequest) => {
    const standIn = request[STAND_IN];
    if (standIn) standIn.req = request[STAND_IN] = undefined;
  });
  io.on('connection', (socket: Socket) => {
    (socket.conn as unknown as { request: IncomingMessage | null }).request = null;
  });
}

/**
 * The answer to `GET /ice-servers`. A provider failure is a 502 rather than the static servers alone: a 200
 * without TURN would hide the outage, while an error makes the widget report it (a non-fatal
 * `ice-servers-unavailable`) and use its own `ice-servers` attribute instead.
 */
async function iceServersFor(source: IceServerProvider, client: IceClient): Promise<[status: number, body: unknown]> {
  try {
    return [200, await source.getIceServers(client)];
  } catch (error) {
    if (error instanceof IceProviderError) return [502, { error: `ICE servers unavailable: ${error.message}` }];
    throw error;
  }
}

/**
 * The path and query of a request target, or null when it is not one a client of this server would send.
 * The origin form (`/path?query`) is what browsers send, the absolute form (`http://host/path`) is what
 * RFC 9112 says a server must accept as well. `//...` is neither: `new URL` would read `//host/path` as
 * another host's path (and throws on `//` alone).
 */
function requestUrl(target: string | undefined): URL | null {
  if (target === undefined) return null;
  const absolute = /^https?:\/\//i.test(target);
  if (!absolute && (!target.startsWith('/') || target.startsWith('//'))) return null;
  try {
    return absolute ? new URL(target) : new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

/**
 * An error as a log line: its kind, its code and the line of ours it came from. Not its message, which may
 * quote what a client sent (a URL, a header).
 */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}`;
  const code = (error as NodeJS.ErrnoException).code;
  const where = error.stack
    ?.split('\n')
    .find((line) => line.trimStart().startsWith('at '))
    ?.trim();
  return [error.name, typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : '', where ?? ''].filter(Boolean).join(' ');
}

/**
 * A request's body, read only up to `max` bytes: a declared length above it is refused before a byte is read,
 * and a body that grows past it is no longer read. `aborted`: the client went away before the end.
 */
function readBody(request: IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && !(Number(declared) <= max)) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: Buffer | 'too-large' | 'aborted') => {
      request.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        request.pause();
        return settle('too-large');
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(Buffer.concat(chunks));
    const onClose = () => settle('aborted');
    request.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

/**
 * An answer to a request whose body was not read to its end: the connection closes after it, so what is left
 * of the body is never read, and is not taken for the next request.
 */
function refuseBody(response: ServerResponse, status: number, body: unknown) {
  response.setHeader('Connection', 'close');
  sendJson(response, status, body);
}

function methodNotAllowed(response: ServerResponse, allow: string) {
  response.setHeader('Allow', allow);
  return sendJson(response, 405, { error: 'method not allowed' });
}

/** The token from `Authorization: Bearer <token>`, if the request has one. */
function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** `pageCsp` goes on HTML pages; the widget bundle (under `/dist/`) is the only file other sites may load. */
async function serveStatic(path: string, response: ServerResponse, pageCsp: string) {
  const [prefix, dir] = path.startsWith('/dist/') ? ['/dist/', STATIC_DIRS['/dist/']] : ['/', STATIC_DIRS['/']];
  let relative: string;
  try {
    relative = decodeURIComponent(path.slice(prefix.length));
  } catch {
    return sendJson(response, 400, { error: 'malformed path' });
  }
  const file = normalize(join(dir, relative));
  if (!file.startsWith(dir + sep)) return sendJson(response, 404, { error: 'not found' });
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    const hint = prefix === '/dist/' ? ' (run `npm run build` first)' : '';
    return sendJson(response, 404, { error: `not found${hint}` });
  }
  const type = extname(file);
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[type] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    ...(prefix === '/dist/' && { 'Access-Control-Allow-Origin': '*' }),
    ...(type === '.html' && { 'Content-Security-Policy': pageCsp }),
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Content-Security-Policy': JSON_CSP,
  });
  response.end(text);
}
