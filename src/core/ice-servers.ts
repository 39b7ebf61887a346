/**
 * Where the peer connection's ICE servers come from: the `ice-servers-url` endpoint (fetched with the
 * token, bounded by a timeout, cached for the credentials' lifetime), else the static `ice-servers`
 * attribute, else none, in which case calls still connect where host candidates reach.
 */
import { IceServerList, parse, type IceServer } from '../protocol/protocol.js';
import { timeoutWhile, type Clock } from './clock.js';
import type { IceServersAnswer } from './ice-server-shapes.js';

/** A dead endpoint must not hold up a call: after this, the fallback is used. */
export const ICE_FETCH_TIMEOUT_MS = 5000;
/** Credentials without a stated lifetime are trusted for this long (Cloudflare's answer carries none). */
const DEFAULT_TTL_SECONDS = 3600;

/**
 * How long before expiry credentials count as stale: a minute, but never more than a quarter of their
 * lifetime, so short-lived credentials (minutes) are still used for most of their life.
 */
const expiryMarginMs = (lifetimeMs: number): number => Math.min(60_000, lifetimeMs / 4);

export interface IceServerSource {
  url?: string;
  token?: string;
  fallback: IceServer[];
}

export interface IceServersResult {
  iceServers: IceServer[];
  /** When the endpoint's credentials expire (ms since the epoch); absent for static servers. */
  expiresAt?: number;
  /** When to fetch fresh ones: from then on `get` fetches again instead of answering from its cache. */
  refreshAt?: number;
  /** Set when the endpoint failed and the fallback was used: why, for a non-fatal `call-error`. */
  problem?: string;
}

export class IceServerProvider {
  #cache: { key: string; servers: IceServer[]; expiresAt: number; staleAt: number } | null = null;
  /** A fetch under way: a second `get` for the same source shares it (a prefetch, then the call's own). */
  #inflight: { key: string; result: Promise<IceServersResult> } | null = null;

  constructor(
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    private readonly timeoutMs = ICE_FETCH_TIMEOUT_MS,
  ) {}

  async get(source: IceServerSource): Promise<IceServersResult> {
    if (!source.url) return { iceServers: source.fallback };
    const key = `${source.url}\n${source.token ?? ''}`;
    const cached = this.#cache;
    if (cached?.key === key && Date.now() < cached.staleAt) {
      return { iceServers: cached.servers, expiresAt: cached.expiresAt, refreshAt: cached.staleAt };
    }
    if (this.#inflight?.key === key) return this.#inflight.result;
    const inflight = { key, result: this.#fetchAndCache(source, key) };
    this.#inflight = inflight;
    void inflight.result.finally(() => this.#inflight === inflight && (this.#inflight = null));
    return inflight.result;
  }

  async #fetchAndCache(source: IceServerSource, key: string): Promise<IceServersResult> {
    try {
      const fetchedAt = Date.now();
      const { iceServers, ttl } = await this.#fetch(source);
      const lifetime = (ttl ?? DEFAULT_TTL_SECONDS) * 1000;
      const expiresAt = fetchedAt + lifetime;
      const staleAt = expiresAt - expiryMarginMs(lifetime);
      this.#cache = { key, servers: iceServers, expiresAt, staleAt };
      return { iceServers, expiresAt, refreshAt: staleAt };
    } catch (error) {
      return { iceServers: source.fallback, problem: `ICE servers from ${source.url} unavailable: ${(error as Error).message}` };
    }
  }

  async #fetch(source: IceServerSource): Promise<NormalizedIceServers> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (source.token) headers.Authorization = `Bearer ${source.token}`;
    let response: Response;
    let body: unknown;
    try {
      response = await this.fetchImpl(source.url!, { headers, signal, credentials: 'omit' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      if (signal.aborted) throw new Error(`no answer within ${this.timeoutMs / 1000} s`, { cause: error });
      throw error;
    }
    return validIceServers(await inOwnShape(body));
  }
}

export interface NormalizedIceServers {
  iceServers: IceServer[];
  ttl?: number;
}

/**
 * An answer in this project's own shape, `{iceServers: [...], ttl?}`. Any other shape (Twilio's, Cloudflare's,
 * the TURN REST draft's) is turned into this one by src/core/ice-server-shapes.ts, loaded only then (a chunk
 * beside the bundle): the reference server answers in this shape.
 */
function isOwnShape(body: unknown): body is IceServersAnswer {
  return typeof body === 'object' && body !== null && Array.isArray((body as { iceServers?: unknown }).iceServers);
}

async function inOwnShape(body: unknown): Promise<IceServersAnswer> {
  return isOwnShape(body) ? body : (await import('./ice-server-shapes.js')).ownShape(body);
}

/** Validated `RTCIceServer[]` (empty fields dropped) and the lifetime in seconds, when it is a positive number. */
export function validIceServers({ iceServers, ttl }: IceServersAnswer): NormalizedIceServers {
  const parsed = parse(IceServerList, (iceServers as unknown[]).map(dropEmpty));
  if (!parsed.ok) throw new Error(`unexpected response: iceServers${parsed.error.message.startsWith('[') ? '' : ': '}${parsed.error.message}`);
  const seconds = typeof ttl === 'string' && /^\d+$/.test(ttl) ? Number(ttl) : ttl;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? { iceServers: parsed.value, ttl: seconds }
    : { iceServers: parsed.value };
}

function dropEmpty(server: unknown): unknown {
  if (typeof server !== 'object' || server === null || Array.isArray(server)) return server;
  return Object.fromEntries(Object.entries(server).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The ICE servers of one session's calls: fetched ahead while a peer is in the room (cached within their
 * lifetime), loaded once per call, kept fresh for calls that outlive their credentials.
 */
export class SessionIceServers {
  constructor(
    private readonly provider: IceServerProvider,
    private readonly source: () => IceServerSource,
    private readonly clock: Clock,
    private readonly warn: (problem: string) => void,
  ) {}

  /** A failure is not kept: the call tries again and reports it. */
  prefetch(): void {
    void this.provider.get(this.source());
  }

  async load(): Promise<IceServersResult> {
    const result = await this.provider.get(this.source());
    if (result.problem) this.warn(result.problem);
    return result;
  }

  /**
   * A call may outlive its TURN credentials. The allocation it has keeps working, but an ICE restart needs a
   * new one, which the TURN server grants only with valid credentials: so fresh ones are fetched ahead of
   * expiry (at `refreshAt` the provider's cache is stale, so `get` really fetches) and handed to the call's
   * current connection for the next allocation, until `signal` aborts.
   */
  keepFresh(signal: AbortSignal, refreshAt: number | undefined, pc: () => RTCPeerConnection | undefined): void {
    if (refreshAt === undefined) return;
    timeoutWhile(this.clock, signal, Math.max(1000, refreshAt - this.clock.now()), async () => {
      const fresh = await this.provider.get(this.source());
      if (signal.aborted) return;
      if (fresh.problem || !fresh.refreshAt) return this.warn(fresh.problem ?? 'The ICE server endpoint gave no credentials to refresh with.');
      const current = pc();
      current?.setConfiguration({ ...current.getConfiguration(), iceServers: fresh.iceServers });
      this.keepFresh(signal, fresh.refreshAt, pc);
    });
  }
}
