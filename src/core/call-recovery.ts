/**
 * Whether media is really arriving, and what happens when it stops: the first media of a call (only then is
 * it `connected`), trouble noticed mid-call, the ladder of attempts to restore it (`reconnect-policy.ts`), and
 * giving up after the reconnect window.
 *
 * Judged on media, not on the transport: STUN consent checks and RTCP keep a connection's byte count growing
 * with no media at all (after a rebuild to a peer that sends none, say), and Chromium was seen decoding video
 * after two crossing ICE restarts while presenting none. So the host reports two counters: audio RTP packets
 * received, and video frames presented (or decoded, where nothing presents them), the latter only while video
 * is expected. Media flows when each expected counter grew within its stall time.
 *
 * Noticing: the browser alone is slow (headless Chromium says `iceConnectionState` `disconnected` about 7.5 s
 * after the far side vanishes, `connectionState` `failed` after about 17.5 s). A sending peer's audio alone is
 * 50 packets a second; even at 20 % loss a silence of 1.5 s does not happen on a working path, while it keeps
 * detection (stall plus one poll) under 2 s. Video is given 3 s: a still scene may drop to a few frames a
 * second. `connectionState` `disconnected`/`failed` and the device going offline count as trouble at once;
 * coming back online, or moving to another network, restarts ICE at once.
 */
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { POLITE_OFFSET_MS, recoveryStep, type RecoveryMethod } from './reconnect-policy.js';

export type { RecoveryMethod } from './reconnect-policy.js';

/** Media counters of the current connection; `video` is null while no video is expected. */
export interface MediaFlow {
  audio: number;
  video: number | null;
}

export interface RecoveryHost {
  /** The current connection's counters, or null when there is none to measure. */
  sample(): Promise<MediaFlow | null>;
  /** Media arrives: the call is `connected` (the first time, and again after trouble). */
  onFlowing(): void;
  /** Media stopped: enter `reconnecting`. */
  onTrouble(): void;
  /** One rung of the ladder; `attempt` counts from 1 within this episode. */
  attempt(method: RecoveryMethod, attempt: number): void;
  /** The reconnect window is over. */
  onGiveUp(): void;
}

export interface RecoveryOptions {
  /** How long to keep trying before giving up (the `reconnect-window` attribute). */
  windowMs: number;
  /** Perfect negotiation's role: the two roles' ladders take turns (`reconnect-policy.ts`). */
  polite: boolean;
  clock?: Clock;
  pollMs?: number;
  audioStallMs?: number;
  videoStallMs?: number;
  random?: () => number;
}

type Phase = 'awaiting' | 'flowing' | 'recovering' | 'stopped';

export class CallRecovery {
  readonly #host: RecoveryHost;
  readonly #options: Required<Omit<RecoveryOptions, 'clock' | 'random'>>;
  readonly #clock: Clock;
  readonly #random: () => number;
  #phase: Phase = 'stopped';
  #poll: TimerHandle | null = null;
  #next: TimerHandle | null = null;
  #deadline: TimerHandle | null = null;
  #attempts = 0;
  #episodeStart = 0;
  #soon: TimerHandle | null = null;
  /** Per counter: its last value and when it last grew. */
  readonly #audio = { last: -1, grewAt: -Infinity };
  readonly #video = { last: -1, grewAt: -Infinity };
  #sampling = false;
  #videoExpected = false;

  constructor(host: RecoveryHost, options: RecoveryOptions) {
    this.#host = host;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#options = {
      windowMs: options.windowMs,
      polite: options.polite,
      pollMs: options.pollMs ?? 500,
      audioStallMs: options.audioStallMs ?? 1500,
      videoStallMs: options.videoStallMs ?? 3000,
    };
  }

  get recovering(): boolean {
    return this.#phase === 'recovering';
  }

  get flowing(): boolean {
    return this.#phase === 'flowing';
  }

  /** Starts measuring a call's connection: `onFlowing` once its media arrives. */
  start(): void {
    if (this.#phase !== 'stopped') return;
    this.#phase = 'awaiting';
    this.#poll = this.#clock.setInterval(() => void this.#sample(), this.#options.pollMs);
    void this.#sample();
  }

  stop(): void {
    this.#phase = 'stopped';
    this.#clearLadder();
    if (this.#soon) this.#clock.clearTimeout(this.#soon);
    this.#soon = null;
    if (this.#poll) this.#clock.clearInterval(this.#poll);
    this.#poll = null;
  }

  /** `connectionState` of the watched connection changed. */
  connectionStateChanged(state: RTCPeerConnectionState): void {
    if (state === 'disconnected' || state === 'failed') this.#trouble();
  }

  /** The device went offline, came back, or changed networks. */
  networkChanged(kind: 'offline' | 'online' | 'change'): void {
    if (kind === 'offline') return this.#trouble();
    // New addresses: the old candidate pair may be dead already. Restart now rather than after a stall.
    if (this.#phase === 'flowing') this.#trouble(true);
    else if (this.#phase === 'recovering') this.#restartNow();
  }

  /** A new connection (a rebuild) counts from zero: measure against it from now on. */
  resetBaseline(): void {
    this.#audio.last = this.#video.last = -1;
  }

  async #sample(): Promise<void> {
    if (this.#sampling || this.#phase === 'stopped') return;
    this.#sampling = true;
    let flow: MediaFlow | null;
    try {
      flow = await this.#host.sample();
    } catch {
      flow = null;
    } finally {
      this.#sampling = false;
    }
    if (!flow || (this.#phase as Phase) === 'stopped') return;
    const now = this.#clock.now();
    track(this.#audio, flow.audio, now);
    // Video expected again mid-call (the peer turned its camera on): its frames get a stall time from now.
    if (flow.video !== null && !this.#videoExpected && this.#phase === 'flowing') this.#video.grewAt = now;
    this.#videoExpected = flow.video !== null;
    if (flow.video !== null) track(this.#video, flow.video, now);
    const audioFresh = now - this.#audio.grewAt < this.#options.audioStallMs;
    const videoFresh = flow.video === null || now - this.#video.grewAt < this.#options.videoStallMs;
    // Connected for the first time once media came in during the last poll or two; recovered only once it
    // came in after the trouble began (what arrived just before a network change proves nothing).
    const recent = 2 * this.#options.pollMs + 1;
    const recovering = this.#phase === 'recovering';
    const audioSince = recovering ? this.#episodeStart : now - recent;
    // Video at a low frame rate may not grow every poll.
    const videoSince = recovering ? this.#episodeStart : now - Math.max(recent, this.#options.videoStallMs / 2);
    const arriving = this.#audio.grewAt > audioSince && (flow.video === null || this.#video.grewAt > videoSince);
    if (this.#phase === 'flowing') {
      if (!audioFresh || !videoFresh) this.#trouble();
    } else if (arriving) {
      const wasRecovering = this.#phase === 'recovering';
      this.#phase = 'flowing';
      if (wasRecovering) this.#clearLadder();
      this.#host.onFlowing();
    }
  }

  /** `restartNow`: the network changed under us, so the first ICE restart does not wait for its rung. */
  #trouble(restartNow = false): void {
    if (this.#phase !== 'flowing') return;
    this.#phase = 'recovering';
    this.#attempts = 0;
    this.#episodeStart = this.#clock.now();
    this.#host.onTrouble();
    this.#deadline = this.#clock.setTimeout(() => {
      this.stop();
      this.#host.onGiveUp();
    }, this.#options.windowMs);
    if (restartNow) this.#restartNow();
    this.#rung(restartNow ? 1 : 0);
  }

  /** Schedules rung `index` on this episode's timeline, so a late rung does not push the later ones back. */
  #rung(index: number): void {
    const step = recoveryStep(index, this.#options.polite, this.#random());
    const delay = Math.max(0, this.#episodeStart + step.atMs - this.#clock.now());
    this.#next = this.#clock.setTimeout(() => {
      this.#next = null;
      if (this.#phase !== 'recovering') return;
      this.#host.attempt(step.method, ++this.#attempts);
      this.#rung(index + 1);
    }, delay);
  }

  /**
   * An ICE restart outside the ladder's timeline (new network addresses): at once on the impolite side, a
   * second later on the polite one, so two sides whose network changed together take turns. It runs even if
   * media came back meanwhile: the new addresses may give a path the old one cannot.
   */
  #restartNow(): void {
    if (!this.#options.polite) return this.#host.attempt('ice-restart', ++this.#attempts);
    this.#soon ??= this.#clock.setTimeout(() => {
      this.#soon = null;
      if (this.#phase !== 'stopped') this.#host.attempt('ice-restart', ++this.#attempts);
    }, POLITE_OFFSET_MS);
  }

  #clearLadder(): void {
    for (const timer of [this.#next, this.#deadline]) if (timer) this.#clock.clearTimeout(timer);
    this.#next = this.#deadline = null;
  }
}

/**
 * Growth since the last sample. The first sample after a start or a rebuild, and a counter that fell (a new
 * connection), are a baseline, not progress: the page's count of presented frames runs on across calls, so
 * its first value says nothing about this call.
 */
function track(counter: { last: number; grewAt: number }, value: number, now: number): void {
  if (value > counter.last && counter.last >= 0) counter.grewAt = now;
  counter.last = value;
}
