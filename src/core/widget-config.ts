/**
 * Turns the element's attributes into a session configuration, or into one clear message saying which
 * attribute is wrong and what it should look like.
 */
import { IceServerList, RoomName, parse } from '../protocol/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RECONNECT_WINDOW_MS, DEFAULT_RING_TIMEOUT_MS, type CallSessionConfig } from './call-session.js';

export interface WidgetAttributes {
  signalingUrl?: string | null;
  room?: string | null;
  iceServersUrl?: string | null;
  iceServers?: string | null;
  iceTransportPolicy?: string | null;
  token?: string | null;
  displayName?: string | null;
  media?: string | null;
  autoAnswer?: boolean;
  ringTimeout?: string | number | null;
  connectTimeout?: string | number | null;
  reconnectWindow?: string | number | null;
  preconnect?: string | null;
}

export type WidgetConfigResult = { ok: true; config: CallSessionConfig } | { ok: false; attribute: string; message: string };

const invalid = (attribute: string, message: string): WidgetConfigResult => ({ ok: false, attribute, message });

export function resolveWidgetConfig(attrs: WidgetAttributes, base: string = globalThis.location?.href): WidgetConfigResult {
  if (!attrs.signalingUrl) return invalid('signaling-url', 'The signaling-url attribute is required (the call server address).');
  const signalingUrl = httpUrl(attrs.signalingUrl, base);
  if (!signalingUrl) return invalid('signaling-url', `signaling-url "${attrs.signalingUrl}" is not an http(s) or ws(s) URL.`);

  if (!attrs.room) return invalid('room', 'The room attribute is required.');
  const room = parse(RoomName, attrs.room);
  if (!room.ok) return invalid('room', `room "${attrs.room}": ${room.error.message}.`);

  let iceServersUrl: string | undefined;
  if (attrs.iceServersUrl) {
    iceServersUrl = httpUrl(attrs.iceServersUrl, base, false) ?? undefined;
    if (!iceServersUrl) return invalid('ice-servers-url', `ice-servers-url "${attrs.iceServersUrl}" is not an http(s) URL.`);
  }

  let iceServers: CallSessionConfig['iceServers'] = [];
  if (attrs.iceServers) {
    let json: unknown;
    try {
      json = JSON.parse(attrs.iceServers);
    } catch {
      return invalid('ice-servers', 'ice-servers must be JSON: an array of RTCIceServer objects.');
    }
    const parsed = parse(IceServerList, json);
    if (!parsed.ok) return invalid('ice-servers', `ice-servers: ${parsed.error.message}.`);
    iceServers = parsed.value;
  }

  const policy = attrs.iceTransportPolicy || 'all';
  if (policy !== 'all' && policy !== 'relay') return invalid('ice-transport-policy', 'ice-transport-policy must be "all" or "relay".');

  const media = attrs.media || 'video';
  if (media !== 'video' && media !== 'audio') return invalid('media', 'media must be "video" or "audio".');

  const ringTimeoutMs = seconds(attrs.ringTimeout, DEFAULT_RING_TIMEOUT_MS);
  if (ringTimeoutMs === null) return invalid('ring-timeout', 'ring-timeout must be a number of seconds from 1 to 600.');
  const connectTimeoutMs = seconds(attrs.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS);
  if (connectTimeoutMs === null) return invalid('connect-timeout', 'connect-timeout must be a number of seconds from 1 to 600.');
  const reconnectWindowMs = seconds(attrs.reconnectWindow, DEFAULT_RECONNECT_WINDOW_MS);
  if (reconnectWindowMs === null) return invalid('reconnect-window', 'reconnect-window must be a number of seconds from 1 to 600.');

  const preconnect = attrs.preconnect || 'on';
  if (preconnect !== 'on' && preconnect !== 'off') return invalid('preconnect', 'preconnect must be "on" or "off".');

  const displayName = attrs.displayName?.trim() || undefined;
  if (displayName && displayName.length > 64) return invalid('display-name', 'display-name must be at most 64 characters.');
  if (attrs.token && attrs.token.length > 4096) return invalid('token', 'token must be at most 4096 characters.');

  return {
    ok: true,
    config: {
      signalingUrl,
      room: room.value,
      iceServersUrl,
      iceServers,
      iceTransportPolicy: policy,
      token: attrs.token || undefined,
      displayName,
      media,
      autoAnswer: attrs.autoAnswer ?? false,
      ringTimeoutMs,
      connectTimeoutMs,
      reconnectWindowMs,
      preconnect: preconnect === 'on',
    },
  };
}

/** A duration attribute in seconds (1-600) as milliseconds; the default when empty, null when invalid. */
function seconds(value: string | number | null | undefined, fallbackMs: number): number | null {
  if (value === null || value === undefined || value === '') return fallbackMs;
  const n = Number(value);
  return Number.isFinite(n) && n >= 1 && n <= 600 ? Math.round(n * 1000) : null;
}

function httpUrl(value: string, base: string | undefined, allowWs = true): string | null {
  try {
    const url = new URL(value, base);
    const schemes = allowWs ? ['http:', 'https:', 'ws:', 'wss:'] : ['http:', 'https:'];
    return schemes.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}
