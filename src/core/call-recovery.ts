/**
 * What happens when the network fails mid-call: how trouble is noticed, and the ladder of attempts to get
 * media flowing again before the call is given up.
 *
 * Noticing: the browser alone is slow (measured in headless Chromium: `iceConnectionState` says
 * `disconnected` about 7.5 s after the far side vanishes, `connectionState` `failed` after about 17.5 s). So
 * the media bytes arriving on the connection are polled twice a second, and a stall of 1.5 s counts as
 * trouble, as do `connectionState` `disconnected`/`failed` and the device going offline. A sending peer's
 * audio alone is 50 packets a second (video adds dozens more); even at 20 % loss a silence of 1.5 s does not
 * happen on a working path, while it keeps detection (stall plus one poll) under 2 s. Coming back online, or moving to
 * another network, restarts ICE at once without waiting for a stall.
 *
 * The ladder: ICE restarts first (cheap, and through perfect negotiation safe when both sides restart at
 * once), then rebuilding the peer connection from scratch, with growing, jittered delays; after the
 * reconnect window the call is given up. Media flowing again ends it all at once.
 */

export type RecoveryMethod = 'ice-restart' | 'rebuild';

export interface RecoveryHost {
  /** The connection whose bytes are watched (changes after a rebuild). */
  peerConnection(): RTCPeerConnection | null;
  /** Media stopped: enter `reconnecting`. */
  onTrouble(): void;
  /** Media flows again: back to `connected`. */
  onRecovered(): void;
  /** One rung of the ladder; `attempt` counts from 1 within this episode. */
  attempt(method: RecoveryMethod, attempt: number): void;
  /** The reconnect window is over. */
  onGiveUp(): void;
}

export interface RecoveryOptions {
  /** How long to keep trying before giving up (the `reconnect-window` attribute). */
  windowMs: number;
  pollMs?: number;
  stallMs?: number;
  random?: () => number;
}

/** Delays before each rung, after trouble is noticed. ICE restarts first, then rebuilds. */
const LADDER: Array<{ method: RecoveryMethod; delayMs: number }> = [
  { method: 'ice-restart', delayMs: 0 },
  { method: 'ice-restart', delayMs: 2000 },
  { method: 'ice-restart', delayMs: 4000 },
  { method: 'rebuild', delayMs: 6000 },
  { method: 'rebuild', delayMs: 8000 },
];
/** After the ladder's last rung, rebuilds repeat at this pace until the window closes. */
const LATER_DELAY_MS = 8000;
/** Up to this share of a delay is added at random, so two sides (or many clients) do not retry in lockstep. */
const JITTER = 0.25;

export class CallRecovery {
  readonly #host: RecoveryHost;
  readonly #windowMs: number;
  readonly #pollMs: number;
  readonly #stallMs: number;
  readonly #random: () => number;
  #poll: ReturnType<typeof setInterval> | null = null;
  #next: ReturnType<typeof setTimeout> | null = null;
  #deadline: ReturnType<typeof setTimeout> | null = null;
  #lastBytes = -1;
  #lastProgressAt = 0;
  #troubleSince: number | null = null;
  #attempts = 0;

  constructor(host: RecoveryHost, options: RecoveryOptions) {
    this.#host = host;
    this.#windowMs = options.windowMs;
    this.#pollMs = options.pollMs ?? 500;
    this.#stallMs = options.stallMs ?? 1500;
    this.#random = options.random ?? Math.random;
  }

  get recovering(): boolean {
    return this.#troubleSince !== null;
  }

  /** Starts watching a connected call. */
  start(): void {
    if (this.#poll) return;
    this.#lastProgressAt = Date.now();
    this.#poll = setInterval(() => void this.#sample(), this.#pollMs);
  }

  stop(): void {
    for (const timer of [this.#next, this.#deadline]) if (timer) clearTimeout(timer);
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = this.#next = this.#deadline = null;
    this.#troubleSince = null;
  }

  /** `connectionState` of the watched connection changed. */
  connectionStateChanged(state: RTCPeerConnectionState): void {
    if (state === 'disconnected' || state === 'failed') this.#trouble();
  }

  /** The device went offline, came back, or changed networks. */
  networkChanged(kind: 'offline' | 'online' | 'change'): void {
    if (kind === 'offline') return this.#trouble();
    // New addresses: the old candidate pair may be dead already. Restart now rather than after a stall.
    if (!this.recovering) this.#trouble();
    else this.#rung(0, true);
  }

  async #sample(): Promise<void> {
    const pc = this.#host.peerConnection();
    if (!pc || pc.signalingState === 'closed') return;
    let bytes: number;
    try {
      bytes = mediaBytesReceived(await pc.getStats());
    } catch {
      return;
    }
    const now = Date.now();
    if (bytes > this.#lastBytes) {
      // A rebuilt connection starts counting from zero; any new byte after that is progress too.
      const progressed = this.#lastBytes >= 0 || bytes > 0;
      this.#lastBytes = bytes;
      if (progressed) {
        this.#lastProgressAt = now;
        if (this.recovering && pc.connectionState === 'connected') this.#recovered();
      }
      return;
    }
    if (bytes < this.#lastBytes) {
      this.#lastBytes = bytes; // a new connection after a rebuild
      return;
    }
    if (now - this.#lastProgressAt >= this.#stallMs) this.#trouble();
  }

  #trouble(): void {
    if (this.recovering || !this.#poll) return;
    this.#troubleSince = Date.now();
    this.#attempts = 0;
    this.#host.onTrouble();
    this.#deadline = setTimeout(() => {
      this.stop();
      this.#host.onGiveUp();
    }, this.#windowMs);
    this.#rung(0);
  }

  /** Runs rung `index` after its delay; `now` skips the delay (a network change). */
  #rung(index: number, now = false): void {
    if (this.#next) clearTimeout(this.#next);
    const step = LADDER[index] ?? { method: 'rebuild' as const, delayMs: LATER_DELAY_MS };
    const delay = now ? 0 : step.delayMs * (1 + JITTER * this.#random());
    this.#next = setTimeout(() => {
      if (!this.recovering) return;
      this.#attempts += 1;
      this.#host.attempt(step.method, this.#attempts);
      this.#rung(index + 1);
    }, delay);
  }

  #recovered(): void {
    if (this.#next) clearTimeout(this.#next);
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#next = this.#deadline = null;
    this.#troubleSince = null;
    this.#host.onRecovered();
  }

  /** Media bytes seen after a rebuild: the new connection is the one to measure against. */
  resetBaseline(): void {
    this.#lastBytes = -1;
  }
}

/**
 * Bytes of media received: RTP on the inbound streams. The transport's own count also grows with ICE
 * connectivity checks and consent freshness, which flow again after an ICE restart before any media does,
 * so counting them would call a call recovered while its video is still frozen. Only a connection with no
 * inbound stream yet falls back to the transport's count.
 */
function mediaBytesReceived(stats: RTCStatsReport): number {
  let rtp = 0;
  let transport = 0;
  let streams = 0;
  stats.forEach((report) => {
    if (report.type === 'inbound-rtp') {
      streams += 1;
      rtp += report.bytesReceived ?? 0;
    } else if (report.type === 'transport') transport += report.bytesReceived ?? 0;
  });
  return streams > 0 ? rtp : transport;
}
