/**
 * Where the peer connection's ICE servers come from: the `ice-servers-url` endpoint (fetched with the
 * token, bounded by a timeout, cached for the credentials' lifetime), else the static `ice-servers`
 * attribute, else none, in which case calls still connect where host candidates reach.
 */
import { IceServerList, IceServersResponse, parse, type IceServer } from '../protocol/protocol.js';

/** A dead endpoint must not hold up a call: after this, the fallback is used. */
export const ICE_FETCH_TIMEOUT_MS = 5000;
/** Refetch this long before the credentials expire, so a call never starts with ones about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

export interface IceServerSource {
  url?: string;
  token?: string;
  fallback: IceServer[];
}

export interface IceServersResult {
  iceServers: IceServer[];
  /** Set when the endpoint failed and the fallback was used: why, for a `call-error`-style warning. */
  problem?: string;
}

export class IceServerProvider {
  #cache: { key: string; servers: IceServer[]; expiresAt: number } | null = null;

  constructor(
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    private readonly timeoutMs = ICE_FETCH_TIMEOUT_MS,
  ) {}

  async get(source: IceServerSource, signal?: AbortSignal): Promise<IceServersResult> {
    if (!source.url) return { iceServers: source.fallback };
    const key = `${source.url}\n${source.token ?? ''}`;
    if (this.#cache?.key === key && this.#cache.expiresAt > Date.now()) return { iceServers: this.#cache.servers };
    try {
      const { iceServers, ttl } = await this.#fetch(source, signal);
      const lifetimeMs = (ttl ?? 3600) * 1000;
      this.#cache = { key, servers: iceServers, expiresAt: Date.now() + Math.max(0, lifetimeMs - EXPIRY_MARGIN_MS) };
      return { iceServers };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { iceServers: source.fallback, problem: `ICE servers from ${source.url} unavailable: ${(error as Error).message}` };
    }
  }

  async #fetch(source: IceServerSource, outer?: AbortSignal): Promise<IceServersResponse> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (source.token) headers.Authorization = `Bearer ${source.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(source.url!, { headers, signal, credentials: 'omit' });
    } catch (error) {
      if (timeout.aborted) throw new Error(`no answer within ${this.timeoutMs / 1000} s`);
      throw error;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body: unknown = await response.json();
    // A bare array is what many backends return; accept it as well as the documented object.
    const parsed = Array.isArray(body)
      ? parse(IceServerList, body)
      : parse(IceServersResponse, body);
    if (!parsed.ok) throw new Error(`unexpected response: ${parsed.error.message}`);
    return Array.isArray(parsed.value) ? { iceServers: parsed.value } : parsed.value;
  }
}
