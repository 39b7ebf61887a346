/**
 * Token buckets: per Socket.IO connection for signaling messages, and per client address for HTTP endpoints
 * that cost the server (or a paid TURN provider) something on every request.
 */

/** The default clock, shared: a default parameter written inline would be one more closure per bucket. */
const monotonicNow = () => performance.now();

/**
 * One client's allowance: a burst large enough for legitimate spikes (a call set-up sends an offer, an
 * answer and a few dozen trickled candidates within a second), a steady rate far below what would let one
 * client load the server.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty and the message should be refused. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until `take()` can succeed again; 0 when it can now. */
  msUntilNextToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.ratePerSecond) * 1000;
  }

  /** A full bucket behaves exactly like a new one, so forgetting it loses nothing. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill() {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A token bucket per key (a client address), in a map that cannot grow without bound: anyone can make up
 * new keys (IPv6 gives every home millions of addresses), so memory must not depend on the number of keys
 * ever seen.
 */
export class KeyedRateLimiter {
  /** Least recently used first: a Map iterates in insertion order and `take` re-inserts on every use. */
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = monotonicNow,
  ) {
    this.lastSweep = now();
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): RateDecision {
    this.sweepIfDue();
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      if (this.buckets.size >= this.maxKeys) this.evict();
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now);
    }
    this.buckets.set(key, bucket);
    if (bucket.take()) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(bucket.msUntilNextToken() / 1000)) };
  }

  /**
   * Once per refill period, drops the buckets that have refilled: in normal traffic that keeps the map at
   * the clients of the last few seconds, and it costs one pass per period rather than one per request.
   */
  private sweepIfDue() {
    const refillMs = (this.burst / this.ratePerSecond) * 1000;
    if (this.now() - this.lastSweep < refillMs) return;
    this.lastSweep = this.now();
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }

  /**
   * At the cap every tracked client is mid-burst, which in practice means someone is cycling addresses.
   * Dropping the least recently seen tenth gives those keys a fresh burst, the lesser harm next to unbounded
   * memory; freeing a tenth at once keeps eviction off the path of most requests.
   */
  private evict() {
    let excess = this.buckets.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (excess-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}
