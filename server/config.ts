/**
 * Server configuration from environment variables. Every variable is validated at start; a bad value stops
 * the server with one line per problem rather than surfacing later as a call that silently fails.
 */

import { IceServerList, parse, type IceServer } from '../src/protocol/protocol.js';

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
  /** Key for resume tokens; set, participants can resume across a restart of the server. */
  resumeSecret: Buffer | null;
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
  'SIGNAL_RATE',
  'SIGNAL_BURST',
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
      errors.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const reader: Reader = { get, integer, errors, warnings };

  const port = integer('PORT', 8080, 0, 65535);
  const host = get('HOST') ?? '0.0.0.0';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) errors.push(`HOST=${JSON.stringify(host)}: expected an address or host name`);

  let allowedOrigins: ServerConfig['allowedOrigins'] = '*';
  const origins = get('ALLOWED_ORIGINS');
  if (origins === undefined) {
    warnings.push(
      'ALLOWED_ORIGINS is not set: any web page may use this signaling server. Set it to your sites, e.g. ALLOWED_ORIGINS=https://example.com',
    );
  } else if (origins !== '*') {
    allowedOrigins = [];
    for (const item of origins.split(',').map((s) => s.trim()).filter(Boolean)) {
      const origin = parseOrigin(item);
      if (origin) allowedOrigins.push(origin);
      else errors.push(`ALLOWED_ORIGINS: ${JSON.stringify(item)} is not an origin such as https://example.com`);
    }
    if (allowedOrigins.length === 0) errors.push('ALLOWED_ORIGINS: no origin given (use * to allow every origin)');
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
  const signalRate = integer('SIGNAL_RATE', 50, 1, 10_000);
  const signalBurst = integer('SIGNAL_BURST', 200, 1, 100_000);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    config: { port, host, allowedOrigins, iceServers, iceProvider, iceRate, iceBurst, trustProxy, signalRate, signalBurst, resumeGraceMs: resumeGraceSeconds * 1000, resumeSecret },
  };
}

/** What the provider loaders share with `loadConfig`: its accessors, and the lists they report into. */
interface Reader {
  get(name: ConfigVariable): string | undefined;
  integer(name: ConfigVariable, fallback: number, min: number, max: number): number;
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
  for (const url of urls) {
    if (!TURN_URL.test(url)) errors.push(`TURN_URLS: ${JSON.stringify(url)} is not a turn: or turns: URL`);
  }
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
    // Not the value itself: swapped with the auth token, it would put the token in the log. Its first two
    // characters are enough to spot the usual mistake, an API key SID (SK...).
    errors.push(
      `TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits, as on the Twilio console; got ${accountSid.length} characters starting with ${JSON.stringify(accountSid.slice(0, 2))}`,
    );
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
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  const parsed = parse(IceServerList, value);
  return parsed.ok ? parsed.value : parsed.error.message;
}
