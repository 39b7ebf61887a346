/**
 * Server configuration from environment variables. Every variable is validated at start; a bad value stops
 * the server with one line per problem rather than surfacing later as a call that silently fails.
 */

import { IceServerList, parse, type IceServer } from '../src/protocol/protocol.js';

export type { IceServer };

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

export interface ServerConfig {
  port: number;
  host: string;
  /** `'*'` means any origin: the embedded default, for trying the demo. */
  allowedOrigins: string[] | '*';
  iceServers: IceServer[];
  turn: TurnConfig | null;
  /** Signaling messages per second per connection, and the burst allowed above that rate. */
  signalRate: number;
  signalBurst: number;
}

export type ConfigResult = { ok: true; config: ServerConfig; warnings: string[] } | { ok: false; errors: string[] };

const TURN_URL = /^turns?:[^\s]+$/;

/** The variables this file reads, for the README and for `--help`. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'ALLOWED_ORIGINS',
  'ICE_SERVERS',
  'TURN_URLS',
  'TURN_SECRET',
  'TURN_TTL',
  'SIGNAL_RATE',
  'SIGNAL_BURST',
] as const;

export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const get = (name: (typeof CONFIG_VARIABLES)[number]) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const integer = (name: (typeof CONFIG_VARIABLES)[number], fallback: number, min: number, max: number) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };

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

  let turn: TurnConfig | null = null;
  const turnUrls = get('TURN_URLS');
  const turnSecret = get('TURN_SECRET');
  const ttlSeconds = integer('TURN_TTL', 3600, 60, 7 * 24 * 3600);
  if (turnUrls !== undefined || turnSecret !== undefined) {
    const urls = (turnUrls ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (urls.length === 0) errors.push('TURN_URLS: required with TURN_SECRET (e.g. turn:turn.example.com:3478)');
    for (const url of urls) {
      if (!TURN_URL.test(url)) errors.push(`TURN_URLS: ${JSON.stringify(url)} is not a turn: or turns: URL`);
    }
    if (turnSecret === undefined) errors.push('TURN_SECRET: required with TURN_URLS (coturn static-auth-secret)');
    else if (turnSecret.length < 16) errors.push('TURN_SECRET: must be at least 16 characters');
    if (turnSecret !== undefined && urls.length > 0) turn = { urls, secret: turnSecret, ttlSeconds };
  }
  if (iceServers.length === 0 && turn === null) {
    warnings.push(
      'No ICE_SERVERS or TURN_URLS: calls connect only where the two browsers can reach each other directly.',
    );
  }

  const signalRate = integer('SIGNAL_RATE', 50, 1, 10_000);
  const signalBurst = integer('SIGNAL_BURST', 200, 1, 100_000);

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, warnings, config: { port, host, allowedOrigins, iceServers, turn, signalRate, signalBurst } };
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
