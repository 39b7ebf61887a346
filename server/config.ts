/**
 * Server configuration from environment variables. Every variable is validated at start; a bad value stops
 * the server with one line per problem rather than surfacing later as a call that silently fails.
 */

import { createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { IceServerList, parse, type IceServer } from '../src/protocol/protocol.js';
import { DEFAULT_STATE_FILE } from './state-file.js';

export type { IceServer };

/** Where TURN credentials come from; at most one source, so there is never a question which one wins. */
export type IceProviderConfig = CoturnConfig | TwilioConfig | CloudflareConfig;

/** A coturn of the site's own, with `use-auth-secret`: credentials are minted here, no call to coturn. */
export interface CoturnConfig {
  kind: 'coturn';
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

/** Twilio Network Traversal Service. */
export interface TwilioConfig {
  kind: 'twilio';
  accountSid: string;
  authToken: string;
  ttlSeconds: number;
}

/** Cloudflare Realtime TURN. */
export interface CloudflareConfig {
  kind: 'cloudflare';
  keyId: string;
  apiToken: string;
  ttlSeconds: number;
}

/**
 * Room access by tokens the site's own backend signs (JWT): with any of these keys set, every join needs one.
 * Several may be set at once (a shared secret for one backend, a key pair for another); a token verified by
 * any of them is accepted.
 */
export interface RoomAuthConfig {
  /** HS256 key (`ROOM_TOKEN_SECRET`). */
  secret: Uint8Array | null;
  /** ES256 or RS256 public key (`ROOM_TOKEN_PUBLIC_KEY`), with the one algorithm it verifies. */
  publicKey: { key: KeyObject; algorithm: 'ES256' | 'RS256' } | null;
  /** Keys published by the site's identity service (`ROOM_TOKEN_JWKS_URL`), ES256 or RS256. */
  jwksUrl: URL | null;
  /** When set, a token must name this `aud` / `iss`. */
  audience: string | null;
  issuer: string | null;
}

/** What one client address may hold of the server, and how fast it may ask for more. */
export interface AbuseLimits {
  /** Open connections (Engine.IO sessions) per address, by `rateLimitKey`. */
  maxConnectionsPerAddress: number;
  /** New connections per second per address, and the burst allowed above that rate. */
  handshakeRate: number;
  handshakeBurst: number;
  /** Signaling messages per second from all connections of one address together, and the burst. */
  addressSignalRate: number;
  addressSignalBurst: number;
  /** What the server may have queued for one connection that does not read; above it the connection is closed. */
  maxQueuedBytes: number;
}

export interface ServerConfig {
  port: number;
  host: string;
  /** `'*'` means any origin: the embedded default, for trying the demo. */
  allowedOrigins: string[] | '*';
  /** Static servers, handed out in front of whatever the provider gives. */
  iceServers: IceServer[];
  iceProvider: IceProviderConfig | null;
  /** `GET /ice-servers` requests per second per client address, and the burst allowed above that rate. */
  iceRate: number;
  iceBurst: number;
  /**
   * How many reverse proxies in front of the server append to `X-Forwarded-For`; 0 trusts no such header.
   * Needed for per-client limits behind a proxy, where every request otherwise comes from the proxy.
   */
  trustProxy: number;
  /** Signaling messages per second per connection, and the burst allowed above that rate. */
  signalRate: number;
  signalBurst: number;
  /** How long a dropped participant keeps its place for a resume before its peer hears it left. */
  resumeGraceMs: number;
  /** Key for resume tokens (`RESUME_SECRET`); participants can resume across a restart of the server. */
  resumeSecret: Buffer | null;
  /**
   * Without `RESUME_SECRET`: the file the server keeps a generated resume secret in (`STATE_FILE`, relative
   * to the working directory), so that a restart keeps calls too. Null when `RESUME_SECRET` is set.
   */
  stateFile: string | null;
  /** Null: open rooms, anyone who knows a room's name may join it (the embedded default, for the demo). */
  roomAuth: RoomAuthConfig | null;
  /** Serve the demo page at `/` (and, with room auth, its dev-only token endpoint). */
  demo: boolean;
  limits: AbuseLimits;
  /** `/healthz` shows room and connection counts; otherwise only that the server is up. */
  healthzDetails: boolean;
  /** CSP `frame-ancestors` for the pages the server serves: who may put the demo page in a frame. */
  frameAncestors: string;
}

export type ConfigResult = { ok: true; config: ServerConfig; warnings: string[] } | { ok: false; errors: string[] };

const TURN_URL = /^turns?:[^\s]+$/;

/**
 * Twilio's and Cloudflare's credentials are shared by all visitors and renewed when an hour of their
 * lifetime is left (see ice-providers.ts): two hours give every visitor at least an hour, enough for most calls.
 */
const PROVIDER_TTL_DEFAULT = 7200;

/** The variables this file reads, for the README and for `--help`. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'ALLOWED_ORIGINS',
  'ICE_SERVERS',
  'TURN_URLS',
  'TURN_SECRET',
  'TURN_TTL',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_TTL',
  'CLOUDFLARE_TURN_KEY_ID',
  'CLOUDFLARE_TURN_API_TOKEN',
  'CLOUDFLARE_TURN_TTL',
  'ICE_RATE',
  'ICE_BURST',
  'TRUST_PROXY',
  'RESUME_GRACE',
  'RESUME_SECRET',
  'STATE_FILE',
  'SIGNAL_RATE',
  'SIGNAL_BURST',
  'ROOM_TOKEN_SECRET',
  'ROOM_TOKEN_PUBLIC_KEY',
  'ROOM_TOKEN_JWKS_URL',
  'ROOM_TOKEN_AUDIENCE',
  'ROOM_TOKEN_ISSUER',
  'DEMO',
  'MAX_CONNECTIONS_PER_ADDRESS',
  'HANDSHAKE_RATE',
  'HANDSHAKE_BURST',
  'ADDRESS_SIGNAL_RATE',
  'ADDRESS_SIGNAL_BURST',
  'MAX_QUEUED_BYTES',
  'HEALTHZ_DETAILS',
  'FRAME_ANCESTORS',
] as const;
type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

const TWILIO_ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
/** Cloudflare's key id goes into a URL path: anything beyond these characters would change the path. */
const CLOUDFLARE_KEY_ID = /^[A-Za-z0-9_-]{1,128}$/;
/**
 * API secrets go into an HTTP header, where a space or a line break would corrupt the request; their exact
 * format is the provider's business, so nothing stricter is checked.
 */
const HEADER_SAFE_SECRET = /^[\x21-\x7e]{16,512}$/;

export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const get = (name: ConfigVariable) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const integer = (name: ConfigVariable, fallback: number, min: number, max: number) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      // Never the value itself: a secret pasted into the wrong variable would end up in the log.
      errors.push(`${name}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const reader: Reader = { get, integer, errors, warnings };

  const port = integer('PORT', 8080, 0, 65535);
  const host = get('HOST') ?? '0.0.0.0';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) errors.push('HOST: expected an address or host name');

  let allowedOrigins: ServerConfig['allowedOrigins'] = '*';
  const origins = get('ALLOWED_ORIGINS');
  if (origins === undefined) {
    warnings.push(
      'ALLOWED_ORIGINS is not set: any web page may use this signaling server. Set it to your sites, e.g. ALLOWED_ORIGINS=https://example.com',
    );
  } else if (origins !== '*') {
    const list: string[] = (allowedOrigins = []);
    origins.split(',').map((s) => s.trim()).filter(Boolean).forEach((item, i) => {
      const origin = parseOrigin(item);
      if (origin) list.push(origin);
      else errors.push(`ALLOWED_ORIGINS: entry ${i + 1} is not an origin such as https://example.com`);
    });
    if (list.length === 0) errors.push('ALLOWED_ORIGINS: no origin given (use * to allow every origin)');
  }

  let iceServers: IceServer[] = [];
  const iceJson = get('ICE_SERVERS');
  if (iceJson !== undefined) {
    const parsed = parseIceServers(iceJson);
    if (typeof parsed === 'string') errors.push(`ICE_SERVERS: ${parsed}`);
    else iceServers = parsed;
  }

  const providers = [loadCoturn(reader), loadTwilio(reader), loadCloudflare(reader)].filter((p) => p.configured);
  if (providers.length > 1) {
    const names = providers.map((p) => p.label).join(' and ');
    errors.push(`${names} are ${providers.length === 2 ? 'both' : 'all'} set: configure one TURN provider, not several`);
  }
  const iceProvider = providers.length === 1 ? providers[0].config : null;
  if (iceServers.length === 0 && providers.length === 0) {
    warnings.push(
      'No ICE_SERVERS and no TURN provider (TURN_URLS, TWILIO_ACCOUNT_SID or CLOUDFLARE_TURN_KEY_ID): calls connect only where the two browsers can reach each other directly.',
    );
  }

  const iceRate = integer('ICE_RATE', 2, 1, 10_000);
  const iceBurst = integer('ICE_BURST', 10, 1, 100_000);
  const trustProxy = integer('TRUST_PROXY', 0, 0, 10);
  const resumeGraceSeconds = integer('RESUME_GRACE', 30, 0, 600);
  const resumeSecretText = get('RESUME_SECRET');
  if (resumeSecretText !== undefined && resumeSecretText.length < 16) errors.push('RESUME_SECRET: must be at least 16 characters');
  const resumeSecret = resumeSecretText === undefined ? null : Buffer.from(resumeSecretText);
  const stateFile = loadStateFile(reader, resumeSecret !== null);
  const signalRate = integer('SIGNAL_RATE', 50, 1, 10_000);
  const signalBurst = integer('SIGNAL_BURST', 200, 1, 100_000);
  if (trustProxy > 0 && !isLoopbackHost(host)) {
    warnings.push(
      `TRUST_PROXY is set and HOST is not a loopback address: a client that reaches this server directly, not through the proxy, can write its own X-Forwarded-For and escape the per-address limits. Listen on 127.0.0.1 behind the proxy, or firewall the port.`,
    );
  }

  const roomAuth = loadRoomAuth(reader);
  if (!roomAuth) {
    warnings.push(
      'No ROOM_TOKEN_SECRET, ROOM_TOKEN_PUBLIC_KEY or ROOM_TOKEN_JWKS_URL: rooms are open, anyone who knows a room name may join it. Fine for trying the demo; set one to require tokens from your backend (see docs/DEPLOYMENT.md).',
    );
  }
  const demo = onOff(reader, 'DEMO', roomAuth === null);
  const healthzDetails = onOff(reader, 'HEALTHZ_DETAILS', false);
  const frameAncestors = loadFrameAncestors(reader);
  const limits: AbuseLimits = {
    maxConnectionsPerAddress: integer('MAX_CONNECTIONS_PER_ADDRESS', 20, 1, 1_000_000),
    handshakeRate: integer('HANDSHAKE_RATE', 5, 1, 100_000),
    handshakeBurst: integer('HANDSHAKE_BURST', 20, 1, 1_000_000),
    addressSignalRate: integer('ADDRESS_SIGNAL_RATE', 200, 1, 1_000_000),
    addressSignalBurst: integer('ADDRESS_SIGNAL_BURST', 800, 1, 10_000_000),
    // Room for a few of the largest messages (64 KB each) and a replay; far above what a reading client holds.
    maxQueuedBytes: integer('MAX_QUEUED_BYTES', 1024 * 1024, 256 * 1024, 1024 * 1024 * 1024),
  };

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    config: {
      port,
      host,
      allowedOrigins,
      iceServers,
      iceProvider,
      iceRate,
      iceBurst,
      trustProxy,
      signalRate,
      signalBurst,
      resumeGraceMs: resumeGraceSeconds * 1000,
      resumeSecret,
      stateFile,
      roomAuth,
      demo,
      limits,
      healthzDetails,
      frameAncestors,
    },
  };
}

function isLoopbackHost(host: string): boolean {
  const plain = host.replace(/^\[|\]$/g, '');
  return plain === 'localhost' || plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/** A path, nothing stranger: it is opened, and named in the log. */
function loadStateFile({ get, errors, warnings }: Reader, hasResumeSecret: boolean): string | null {
  const path = get('STATE_FILE');
  if (hasResumeSecret) {
    if (path !== undefined) warnings.push('STATE_FILE is set but so is RESUME_SECRET, which is used instead: the state file is not read');
    return null;
  }
  if (path === undefined) return DEFAULT_STATE_FILE;
  // Control characters would let the path forge log lines; 1024 is far beyond any real path.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (path.length > 1024 || /[\x00-\x1f\x7f]/.test(path) || path.endsWith('/')) {
    errors.push('STATE_FILE: expected the path of a file (at most 1024 characters, no control characters)');
    return null;
  }
  return path;
}

function onOff({ get, errors }: Reader, name: ConfigVariable, fallback: boolean): boolean {
  const raw = get(name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'on' || raw === '1' || raw === 'true') return true;
  if (raw === 'off' || raw === '0' || raw === 'false') return false;
  errors.push(`${name}: expected on or off`);
  return fallback;
}

/**
 * The room-token keys. An HS256 secret shorter than its 256-bit hash is refused, as RFC 7518 asks; a public
 * key is read here, once, so a pasted private key or a truncated PEM stops the server at start.
 */
function loadRoomAuth({ get, errors }: Reader): RoomAuthConfig | null {
  const secretText = get('ROOM_TOKEN_SECRET');
  const pem = get('ROOM_TOKEN_PUBLIC_KEY');
  const jwks = get('ROOM_TOKEN_JWKS_URL');
  const audience = get('ROOM_TOKEN_AUDIENCE') ?? null;
  const issuer = get('ROOM_TOKEN_ISSUER') ?? null;
  if (secretText === undefined && pem === undefined && jwks === undefined) {
    if (audience !== null || issuer !== null) errors.push('ROOM_TOKEN_AUDIENCE and ROOM_TOKEN_ISSUER need ROOM_TOKEN_SECRET, ROOM_TOKEN_PUBLIC_KEY or ROOM_TOKEN_JWKS_URL');
    return null;
  }
  let secret: Uint8Array | null = null;
  if (secretText !== undefined) {
    if (secretText.length < 32) errors.push('ROOM_TOKEN_SECRET: must be at least 32 characters (HS256 wants a 256-bit key)');
    else secret = new TextEncoder().encode(secretText);
  }
  let publicKey: RoomAuthConfig['publicKey'] = null;
  if (pem !== undefined && pem.includes('PRIVATE KEY')) {
    // Node would derive the public key from it, but a signing key has no business on the signaling server.
    errors.push('ROOM_TOKEN_PUBLIC_KEY: this is a private key; give the public key (-----BEGIN PUBLIC KEY-----) and keep the private one on your backend');
  } else if (pem !== undefined) {
    try {
      // Environment files often hold a PEM on one line with literal \n.
      const key = createPublicKey(pem.replaceAll('\\n', '\n'));
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') publicKey = { key, algorithm: 'ES256' };
      else if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) publicKey = { key, algorithm: 'RS256' };
      else errors.push('ROOM_TOKEN_PUBLIC_KEY: expected a P-256 (ES256) or an RSA key of at least 2048 bits (RS256)');
    } catch {
      errors.push('ROOM_TOKEN_PUBLIC_KEY: not a PEM public key (-----BEGIN PUBLIC KEY-----)');
    }
  }
  let jwksUrl: URL | null = null;
  if (jwks !== undefined) {
    const url = URL.canParse(jwks) ? new URL(jwks) : null;
    // Keys fetched over plain HTTP could be swapped on the way; loopback is allowed for a local identity service.
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
      errors.push('ROOM_TOKEN_JWKS_URL: expected an https: URL (http: only on a loopback address)');
    } else jwksUrl = url;
  }
  if (audience !== null && audience.length > 256) errors.push('ROOM_TOKEN_AUDIENCE: must be at most 256 characters');
  if (issuer !== null && issuer.length > 256) errors.push('ROOM_TOKEN_ISSUER: must be at most 256 characters');
  return { secret, publicKey, jwksUrl, audience, issuer };
}

const FRAME_SOURCE = /^(?:'self'|'none'|https?:\/\/(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$/;

/** A CSP source list: written into a header, so nothing but keywords and origins may get through. */
function loadFrameAncestors({ get, errors }: Reader): string {
  const raw = get('FRAME_ANCESTORS');
  if (raw === undefined) return "'self'";
  const sources = raw.split(/[\s,]+/).filter(Boolean).map((source) => (source === 'self' || source === 'none' ? `'${source}'` : source));
  if (sources.length === 0 || !sources.every((source) => FRAME_SOURCE.test(source)) || (sources.includes("'none'") && sources.length > 1)) {
    errors.push("FRAME_ANCESTORS: expected 'self', 'none' or origins such as https://cms.example, separated by spaces");
    return "'self'";
  }
  return sources.join(' ');
}

/** What the provider loaders share with `loadConfig`: its accessors, and the lists they report into. */
interface Reader {
  // Properties, not methods: the loaders destructure them.
  get: (name: ConfigVariable) => string | undefined;
  integer: (name: ConfigVariable, fallback: number, min: number, max: number) => number;
  errors: string[];
  warnings: string[];
}

/**
 * One provider's variables. `configured` is true as soon as any of its identifying variables is set, so
 * that two half-configured providers are still reported as two; `config` is null when something is wrong.
 */
interface LoadedProvider {
  configured: boolean;
  label: string;
  config: IceProviderConfig | null;
}

function loadCoturn({ get, integer, errors, warnings }: Reader): LoadedProvider {
  const rawUrls = get('TURN_URLS');
  const secret = get('TURN_SECRET');
  const ttlSeconds = integer('TURN_TTL', 3600, 60, 7 * 24 * 3600);
  const label = 'coturn (TURN_URLS, TURN_SECRET)';
  if (rawUrls === undefined && secret === undefined) return unused(get, warnings, 'TURN_TTL', label);
  const before = errors.length;
  const urls = (rawUrls ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) errors.push('TURN_URLS: required with TURN_SECRET (e.g. turn:turn.example.com:3478)');
  urls.forEach((url, i) => {
    if (!TURN_URL.test(url)) errors.push(`TURN_URLS: entry ${i + 1} is not a turn: or turns: URL`);
  });
  if (secret === undefined) errors.push('TURN_SECRET: required with TURN_URLS (coturn static-auth-secret)');
  else if (secret.length < 16) errors.push('TURN_SECRET: must be at least 16 characters');
  if (errors.length > before || secret === undefined) return { configured: true, label, config: null };
  return { configured: true, label, config: { kind: 'coturn', urls, secret, ttlSeconds } };
}

function loadTwilio({ get, integer, errors, warnings }: Reader): LoadedProvider {
  const accountSid = get('TWILIO_ACCOUNT_SID');
  const authToken = get('TWILIO_AUTH_TOKEN');
  // Twilio refuses lifetimes above a day.
  const ttlSeconds = integer('TWILIO_TTL', PROVIDER_TTL_DEFAULT, 60, 86_400);
  const label = 'Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)';
  if (accountSid === undefined && authToken === undefined) return unused(get, warnings, 'TWILIO_TTL', label);
  const before = errors.length;
  if (accountSid === undefined) {
    errors.push('TWILIO_ACCOUNT_SID: required with TWILIO_AUTH_TOKEN (AC followed by 32 hex digits)');
  } else if (!TWILIO_ACCOUNT_SID.test(accountSid)) {
    // Not the value itself: swapped with the auth token, it would put the token in the log. The usual mistake,
    // an API key SID (SK...), is worth naming without quoting anything.
    const hint = accountSid.startsWith('SK') ? ' (this looks like an API key SID, SK...)' : '';
    errors.push(`TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits, as on the Twilio console${hint}`);
  }
  if (authToken === undefined) errors.push('TWILIO_AUTH_TOKEN: required with TWILIO_ACCOUNT_SID');
  else if (!HEADER_SAFE_SECRET.test(authToken)) {
    errors.push('TWILIO_AUTH_TOKEN: expected the auth token from the Twilio console (16-512 characters, no spaces)');
  }
  if (errors.length > before || accountSid === undefined || authToken === undefined) {
    return { configured: true, label, config: null };
  }
  return { configured: true, label, config: { kind: 'twilio', accountSid, authToken, ttlSeconds } };
}

function loadCloudflare({ get, integer, errors, warnings }: Reader): LoadedProvider {
  const keyId = get('CLOUDFLARE_TURN_KEY_ID');
  const apiToken = get('CLOUDFLARE_TURN_API_TOKEN');
  // Cloudflare refuses lifetimes above 48 hours.
  const ttlSeconds = integer('CLOUDFLARE_TURN_TTL', PROVIDER_TTL_DEFAULT, 60, 172_800);
  const label = 'Cloudflare (CLOUDFLARE_TURN_KEY_ID, CLOUDFLARE_TURN_API_TOKEN)';
  if (keyId === undefined && apiToken === undefined) return unused(get, warnings, 'CLOUDFLARE_TURN_TTL', label);
  const before = errors.length;
  if (keyId === undefined) errors.push('CLOUDFLARE_TURN_KEY_ID: required with CLOUDFLARE_TURN_API_TOKEN (the TURN key id)');
  else if (!CLOUDFLARE_KEY_ID.test(keyId)) {
    // Not the value itself, in case it is the API token in the wrong variable.
    errors.push('CLOUDFLARE_TURN_KEY_ID: expected the TURN key id (1-128 letters, digits, - and _)');
  }
  if (apiToken === undefined) errors.push('CLOUDFLARE_TURN_API_TOKEN: required with CLOUDFLARE_TURN_KEY_ID');
  else if (!HEADER_SAFE_SECRET.test(apiToken)) {
    errors.push("CLOUDFLARE_TURN_API_TOKEN: expected the TURN key's API token (16-512 characters, no spaces)");
  }
  if (errors.length > before || keyId === undefined || apiToken === undefined) {
    return { configured: true, label, config: null };
  }
  return { configured: true, label, config: { kind: 'cloudflare', keyId, apiToken, ttlSeconds } };
}

/** A lifetime set without its provider is most likely a forgotten or misspelt variable: say so. */
function unused(get: Reader['get'], warnings: string[], ttlName: ConfigVariable, label: string): LoadedProvider {
  if (get(ttlName) !== undefined) warnings.push(`${ttlName} is set but ${label} is not: it has no effect`);
  return { configured: false, label, config: null };
}

function parseOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    // An origin has no path, query or fragment; reject them rather than silently dropping them.
    if (url.origin !== value.replace(/\/$/, '')) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** Validates an `RTCIceServer[]` given as JSON; returns a message for the first problem found. */
export function parseIceServers(json: string): IceServer[] | string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // Not the parser's message: it quotes the text around the error, which may be a TURN credential.
    return 'not valid JSON';
  }
  const parsed = parse(IceServerList, value);
  return parsed.ok ? parsed.value : parsed.error.message;
}
