/**
 * Where the answer to `GET /ice-servers` comes from: the static `ICE_SERVERS`, in front of the TURN
 * servers of at most one provider: a coturn of the site's own (credentials minted here), Twilio's Network
 * Traversal Service or Cloudflare Realtime TURN (credentials bought from their APIs).
 *
 * Secrets (the coturn secret, the API tokens, the Basic auth header built from them) never leave this
 * module in a message: every error and log line is made here, from our own words, and passed through
 * `redact` in case a provider echoes something back.
 */
import { IceServerList, parse, type IceServer, type IceServersResponse } from '../src/protocol/protocol.js';
import type { CloudflareConfig, CoturnConfig, IceProviderConfig, ServerConfig, TwilioConfig } from './config.js';
import { mintTurnCredential, turnUserId } from './turn-credentials.js';

/** What `/ice-servers` answers: the servers, and how many seconds the credentials in them stay valid. */
export type IceServerGrant = Required<IceServersResponse>;

/** What the server knows about the client asking; only coturn uses it, for the user id in its usernames. */
export interface IceClient {
  /**
   * Who is asking, as the server knows it: `sub:<the room token's sub>` with room auth, else
   * `address:<rate-limit key>`. Never written anywhere as is: coturn gets an HMAC of it (`turnUserId`).
   */
  userKey: string;
}

export interface IceServerProvider {
  getIceServers(client: IceClient): Promise<IceServerGrant>;
  /** Aborts requests still under way, so that shutting down does not wait for a slow provider. */
  close(): void;
}

/**
 * A provider could not deliver. `message` is meant for the client (it names the provider and what went
 * wrong, in a few words); `detail` adds what only the operator should read, such as the provider's own
 * error text. Both are free of secrets.
 */
export class IceProviderError extends Error {
  constructor(
    message: string,
    readonly detail: string = message,
  ) {
    super(message);
    this.name = 'IceProviderError';
  }
}

export interface ProviderBaseUrls {
  twilio?: string;
  cloudflare?: string;
}

export interface IceProviderOptions {
  log?: (message: string) => void;
  /** Tests point these at fakes on loopback; production always talks to the real APIs. */
  baseUrls?: ProviderBaseUrls;
  timeoutMs?: number;
  /** The clock for credential lifetimes; tests move it to reach renewal and expiry without waiting. */
  now?: () => number;
}

/** A provider that does not answer must not hold up the visitor's call for long: the widget gives up at 5 s too. */
const PROVIDER_TIMEOUT_MS = 5000;

/** STUN needs no credentials, so static servers never expire; a day makes clients look again now and then. */
const STATIC_TTL_SECONDS = 86_400;

/** After a failure, the same answer is given for this long rather than asking a provider that is struggling. */
const FAILURE_BACKOFF_MS = 5000;

/**
 * Credentials handed out from the cache should leave a visitor plenty of time (every new allocation, such as
 * after an ICE restart, needs valid ones), so shared credentials are renewed when an hour is left, or half
 * their lifetime if that is shorter, rather than at the last moment.
 */
const refreshMarginMs = (ttlSeconds: number) => Math.min(ttlSeconds / 2, 3600) * 1000;

/** A cached grant still usable after a failed renewal must leave the visitor at least this long. */
const MIN_USEFUL_MS = 60_000;

export function createIceServerSource(
  config: Pick<ServerConfig, 'iceServers' | 'iceProvider'>,
  options: IceProviderOptions = {},
): IceServerProvider {
  const provider = config.iceProvider && createProvider(config.iceProvider, options);
  return {
    async getIceServers(client) {
      if (!provider) return { iceServers: config.iceServers, ttl: STATIC_TTL_SECONDS };
      const grant = await provider.getIceServers(client);
      return { iceServers: [...config.iceServers, ...grant.iceServers], ttl: grant.ttl };
    },
    close: () => provider?.close(),
  };
}

function createProvider(config: IceProviderConfig, options: IceProviderOptions): IceServerProvider {
  switch (config.kind) {
    case 'coturn':
      return coturnProvider(config);
    case 'twilio':
      return new RemoteProvider(twilioApi(config, options.baseUrls?.twilio), options);
    case 'cloudflare':
      return new RemoteProvider(cloudflareApi(config, options.baseUrls?.cloudflare), options);
  }
}

// ---------------------------------------------------------------------------------------------------------
// coturn: nothing to fetch, a fresh credential per request

function coturnProvider(config: CoturnConfig): IceServerProvider {
  return {
    async getIceServers(client) {
      const userId = turnUserId(config.secret, client.userKey);
      const { username, credential } = mintTurnCredential(config.secret, userId, config.ttlSeconds);
      return { iceServers: [{ urls: config.urls, username, credential }], ttl: config.ttlSeconds };
    },
    close() {},
  };
}

// ---------------------------------------------------------------------------------------------------------
// Providers behind an HTTP API

/** What differs between Twilio and Cloudflare; `RemoteProvider` does the rest. */
interface RemoteApi {
  name: string;
  ttlSeconds: number;
  /** Everything that must never appear in a message, including encodings of it sent on the wire. */
  secrets: string[];
  url: string;
  init: RequestInit;
  /** Turns a successful answer into servers, or throws a message saying what was wrong with it. */
  read(body: unknown): { servers: unknown[]; ttl?: number };
}

function twilioApi(config: TwilioConfig, baseUrl = 'https://api.twilio.com'): RemoteApi {
  const basic = Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64');
  return {
    name: 'Twilio',
    ttlSeconds: config.ttlSeconds,
    secrets: [config.authToken, basic],
    url: `${trimSlash(baseUrl)}/2010-04-01/Accounts/${config.accountSid}/Tokens.json`,
    init: {
      method: 'POST',
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({ Ttl: String(config.ttlSeconds) }).toString(),
    },
    read(body) {
      if (!isObject(body) || !Array.isArray(body.ice_servers)) throw new Error('no ice_servers list in it');
      // Each entry has the legacy single-URL `url` and, in newer answers, `urls` as well; browsers want `urls`.
      const servers = body.ice_servers.map((entry: unknown) =>
        isObject(entry)
          ? definedOnly({ urls: entry.urls ?? entry.url, username: entry.username, credential: entry.credential })
          : entry,
      );
      // Twilio sends its ttl as a string of digits.
      const ttl = typeof body.ttl === 'string' && /^\d+$/.test(body.ttl) ? Number(body.ttl) : body.ttl;
      return { servers, ttl: typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? ttl : undefined };
    },
  };
}

function cloudflareApi(config: CloudflareConfig, baseUrl = 'https://rtc.live.cloudflare.com'): RemoteApi {
  return {
    name: 'Cloudflare',
    ttlSeconds: config.ttlSeconds,
    secrets: [config.apiToken],
    url: `${trimSlash(baseUrl)}/v1/turn/keys/${config.keyId}/credentials/generate-ice-servers`,
    init: {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${config.apiToken}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ ttl: config.ttlSeconds }),
    },
    read(body) {
      if (!isObject(body) || !('iceServers' in body)) throw new Error('no iceServers in it');
      // Older answers carry one server object rather than a list. There is no ttl: the requested one applies.
      const list: unknown[] = Array.isArray(body.iceServers) ? body.iceServers : [body.iceServers];
      return { servers: list.map(withoutPort53).filter((server) => server !== null) };
    },
  };
}

/**
 * Cloudflare also lists its servers on port 53, which browsers refuse to use; left in, they only add
 * candidates that time out. A server left with no URL is dropped.
 */
function withoutPort53(server: unknown): unknown {
  if (!isObject(server) || (typeof server.urls !== 'string' && !Array.isArray(server.urls))) return server;
  const urls = ([server.urls].flat() as unknown[]).filter((url) => typeof url !== 'string' || !/:53(\?|$)/.test(url));
  if (urls.length === 0) return null;
  return { ...server, urls: Array.isArray(server.urls) ? urls : urls[0] };
}

/**
 * Asks a provider's API for credentials and shares them among all visitors until they are due for renewal
 * (see `refreshMarginMs`): one API request per period instead of one per page load, and concurrent visitors
 * wait for the same request rather than each starting one.
 */
class RemoteProvider implements IceServerProvider {
  #current: { iceServers: IceServer[]; expiresAt: number; refreshAt: number } | null = null;
  #pending: Promise<void> | null = null;
  #failure: { error: IceProviderError; until: number } | null = null;
  readonly #closed = new AbortController();
  readonly #api: RemoteApi;
  readonly #log: (message: string) => void;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(api: RemoteApi, options: IceProviderOptions) {
    this.#api = api;
    this.#log = options.log ?? (() => {});
    this.#timeoutMs = options.timeoutMs ?? PROVIDER_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  async getIceServers(): Promise<IceServerGrant> {
    if (!this.#current || this.#now() >= this.#current.refreshAt) {
      try {
        await this.#renew();
      } catch (error) {
        // Credentials that are due for renewal but still valid are better than none during an outage.
        if (!this.#current || this.#now() > this.#current.expiresAt - MIN_USEFUL_MS) throw error;
      }
    }
    const { iceServers, expiresAt } = this.#current!;
    return { iceServers, ttl: Math.floor((expiresAt - this.#now()) / 1000) };
  }

  close() {
    this.#closed.abort();
  }

  #renew(): Promise<void> {
    if (this.#failure && this.#now() < this.#failure.until) return Promise.reject(this.#failure.error);
    this.#pending ??= this.#fetch()
      .then(
        (current) => {
          this.#current = current;
          this.#failure = null;
        },
        (error: IceProviderError) => {
          this.#log(`ICE servers: ${error.detail}`);
          this.#failure = { error, until: this.#now() + FAILURE_BACKOFF_MS };
          throw error;
        },
      )
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  async #fetch() {
    const { name } = this.#api;
    // Counted from before the request: the provider's clock starts no later than that.
    const requestedAt = this.#now();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.#api.url, { ...this.#api.init, signal: AbortSignal.any([timeout, this.#closed.signal]) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) throw this.#error(`${name} did not answer within ${this.#timeoutMs / 1000} s`);
      if (this.#closed.signal.aborted) throw this.#error(`request to ${name} canceled: the server is shutting down`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw this.#error(`${name} could not be reached`, ` (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
    if (status < 200 || status > 299) throw this.#error(`${name} answered HTTP ${status}`, excerpt(text));

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.#error(`${name} answered something that is not JSON`, excerpt(text));
    }
    let read: ReturnType<RemoteApi['read']>;
    try {
      read = this.#api.read(body);
    } catch (error) {
      throw this.#error(`${name} answered something unexpected: ${(error as Error).message}`);
    }
    // Checked first because the schema's own message for a non-object would quote it, credentials and all.
    const notObject = read.servers.findIndex((server) => !isObject(server));
    if (notObject >= 0) throw this.#error(`${name} answered something unexpected: [${notObject}]: not an object`);
    const parsed = parse(IceServerList, read.servers);
    if (!parsed.ok) throw this.#error(`${name} answered something unexpected: ${parsed.error.message}`);
    if (parsed.value.length === 0) throw this.#error(`${name} answered an empty list of ICE servers`);

    // A shorter lifetime than requested is the provider's to give; a longer one is not trusted beyond the request.
    const ttlSeconds = Math.min(read.ttl ?? this.#api.ttlSeconds, this.#api.ttlSeconds);
    return {
      iceServers: parsed.value,
      expiresAt: requestedAt + ttlSeconds * 1000,
      refreshAt: requestedAt + ttlSeconds * 1000 - refreshMarginMs(ttlSeconds),
    };
  }

  /** The client sees `reason`; the log also gets `extra`, such as the provider's own error text. */
  #error(reason: string, extra = ''): IceProviderError {
    const message = this.#redact(reason);
    return new IceProviderError(message, message + this.#redact(extra));
  }

  #redact(text: string): string {
    return this.#api.secrets.reduce((result, secret) => result.replaceAll(secret, '[redacted]'), text);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Absent fields must stay absent: `username: undefined` would be a different object to compare and send. */
const definedOnly = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The start of a provider's error body, for the log: usually a short JSON with its own error code. */
const excerpt = (text: string) => (text.trim() ? `: ${text.trim().slice(0, 300)}` : '');
