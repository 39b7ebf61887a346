/**
 * A call's quality as both sides see it: each second of the call's stats scored (call-quality.ts), merged with
 * what the other side reports of its own reception (the relayed `quality` message), and totted up for the
 * call's summary. No timer of its own: the call's one stats poll (`Call.sample`) feeds it.
 */
import type { RelayedPayload } from '../protocol/protocol.js';
import { audioMos, QualityLevel, videoMos, type QualityReading } from './call-quality.js';
import type { RtcStat } from './rtc-stats.js';
import { audioFigures, statsWindow, videoFigures, type StatsWindow } from './stats-window.js';

/** What a side says of its reception (and of what it sends), on the wire. */
export type QualityReport = Omit<RelayedPayload<'quality'>, 'callId'>;

/**
 * `loss` and `delay`: measured by the receiver. `bandwidth` and `cpu`: the sender's browser holds its video
 * back for that (`qualityLimitationReason`).
 */
export type QualityReason = 'loss' | 'delay' | 'bandwidth' | 'cpu';

/** One direction of the call, as its receiver scores it. */
export interface DirectionQuality {
  /** 0-5 bars; null while unknown (the first seconds, or nothing to judge: the sender muted with no video). */
  level: QualityReading['level'];
  /** The smoothed score the level is read from (MOS scale, 1-4.5). */
  mos: number | null;
  /** This window's audio and video scores (1-4.5); null when there is none to judge. */
  audio: number | null;
  video: number | null;
  /** What the receiver measures beyond its thresholds: `loss`, `delay`. */
  reasons: QualityReason[];
}

/** The `quality` of a call: the worse of its two directions, and each of them. */
export interface CallQuality extends DirectionQuality {
  /** Whose side the trouble is on, when it can be told: `local` (this visitor's network or device) or `remote`. */
  cause: 'local' | 'remote' | null;
  /** What this side receives. */
  local: DirectionQuality;
  /** What the other side receives (what this side sends), as it reports; null until it did. */
  remote: DirectionQuality | null;
}

/** Time (ms) spent at each level over the call; `unknown` for the warm-up and for nothing to judge. */
export type LevelTimes = Record<'0' | '1' | '2' | '3' | '4' | '5' | 'unknown', number>;

/** The call's figures from its first media on, for `call-summary`. */
export interface QualityTotals {
  levels: LevelTimes;
  /** Mean and lowest score of what this side received, over the windows with media; null if none had. */
  meanMos: number | null;
  minMos: number | null;
  /** Mean round-trip time, ms; null if never known. */
  meanRttMs: number | null;
  /** Inbound audio packets lost over packets expected, in percent, over the call. */
  lossPercent: number;
}

/** A second's figures and the snapshot at its end, for the debug panel. */
export type SecondOfStats = StatsWindow & { stats: ReadonlyMap<string, RtcStat> };

export interface QualityInputs {
  /** Video is expected from the peer (a video m-line receiving, and its camera on). */
  receivesVideo: boolean;
  /** The peer's microphone is muted: silence is no audio to judge. */
  peerMuted: boolean;
  reconnecting: boolean;
}

/**
 * 2 % loss costs 10.6 points of R (OPUS_LOSS_WEIGHT), about a bar at the top of the scale: from there it is
 * worth naming.
 */
const LOSS_REASON_PERCENT = 2;
/**
 * The effective one-way delay from which the E-model's delay term gets four times steeper (160 ms), just past
 * ITU-T G.114's 150 ms for conversation without noticeable delay.
 */
const DELAY_REASON_MS = 160;
/** A window is a second of stats (the poll runs twice as often, for recovery); a little less is accepted. */
const WINDOW_MS = 900;
/** The share of a new window in the smoothed loss and delay that name the reasons. */
const REASON_WEIGHT = 0.5;

const round = (score: number | null) => (score === null ? null : Math.round(score * 100) / 100);
const LEVEL_KEYS = ['0', '1', '2', '3', '4', '5', 'unknown'] as const;

export class QualityMonitor {
  readonly #onChange: (quality: CallQuality) => void;
  readonly #send: (report: QualityReport) => void;
  readonly #level = new QualityLevel();
  #last: { stats: ReadonlyMap<string, RtcStat>; at: number; reconnecting: boolean } | null = null;
  #local: DirectionQuality = { level: null, mos: null, audio: null, video: null, reasons: [] };
  #peer: QualityReport | null = null;
  #limitation: 'cpu' | 'bandwidth' | null = null;
  #sentKey = '';
  #sentFps: number | undefined;
  /** The last second's figures, for the debug panel. */
  figures: SecondOfStats | null = null;
  #loss = 0;
  #delay = 0;
  readonly #totals = { levels: Object.fromEntries(LEVEL_KEYS.map((key) => [key, 0])) as LevelTimes, mos: 0, mosCount: 0, minMos: Infinity, rtt: 0, rttCount: 0, lost: 0, expected: 0 };

  /** `onChange`: after each window and each report of the peer; `send`: the report for the peer, when it changed. */
  constructor(onChange: (quality: CallQuality) => void, send: (report: QualityReport) => void) {
    this.#onChange = onChange;
    this.#send = send;
  }

  get quality(): CallQuality {
    const local = this.#local;
    const peer = this.#peer;
    const remote: DirectionQuality | null = peer && { level: peer.level, mos: peer.mos, audio: peer.audio, video: peer.video, reasons: [...peer.reasons] };
    // The worse direction; a direction whose level is unknown judges nothing.
    const sending = remote?.level != null && (local.level === null || remote.level < local.level);
    const worse = sending ? remote! : local;
    const level = worse.level;
    const lowest = (pick: (d: DirectionQuality) => number | null) => {
      const scores = [pick(local), remote && pick(remote)].filter((score): score is number => score != null);
      return scores.length ? Math.min(...scores) : null;
    };
    const trouble = level !== null && level <= 3;
    // The sender of the worse direction: its browser's own limit names the cause, and so does a trouble in one
    // direction only (the sender's uplink is where one-way loss comes from, as a rule).
    const limitation = sending ? this.#limitation : (peer?.limitation ?? null);
    const other = sending ? local : remote;
    const known = !!limitation || (other?.level ?? 0) >= 4;
    return {
      level,
      mos: lowest((d) => d.mos),
      audio: lowest((d) => d.audio),
      video: lowest((d) => d.video),
      reasons: trouble ? [...worse.reasons, ...(limitation ? [limitation] : [])] : [],
      // An outage (0) cannot be placed: the other side's last report is from before it.
      cause: trouble && known && level !== 0 ? (sending ? 'local' : 'remote') : null,
      local,
      remote,
    };
  }

  /** The call's figures so far. */
  get totals(): QualityTotals {
    const t = this.#totals;
    return {
      levels: { ...t.levels },
      meanMos: t.mosCount ? round(t.mos / t.mosCount) : null,
      minMos: t.mosCount ? round(t.minMos) : null,
      meanRttMs: t.rttCount ? Math.round(t.rtt / t.rttCount) : null,
      lossPercent: t.expected ? Math.round((1e4 * t.lost) / t.expected) / 100 : 0,
    };
  }

  /** One snapshot of the connection's stats at `now` (ms): a window is scored once a second has passed. */
  add(stats: ReadonlyMap<string, RtcStat>, now: number, inputs: QualityInputs): void {
    const last = this.#last;
    // A change into or out of reconnecting is scored at once: the level goes to 0 without waiting a window.
    if (last && now - last.at < WINDOW_MS && last.reconnecting === inputs.reconnecting) return;
    this.#last = { stats, at: now, reconnecting: inputs.reconnecting };
    if (!last) return;
    const window = statsWindow(last.stats, stats, (now - last.at) / 1000);
    this.figures = { ...window, stats };
    this.#score(window, inputs);
  }

  /** A new connection (a rebuild) counts from zero: the next snapshot is a baseline, not a window. */
  resetBaseline(): void {
    this.#last = null;
  }

  /** What the peer says of its reception. */
  onPeerReport(report: QualityReport): void {
    this.#peer = report;
    this.#onChange(this.quality);
  }

  #score(window: StatsWindow, { receivesVideo, peerMuted, reconnecting }: QualityInputs): void {
    const audioIn = audioFigures(window);
    const videoIn = receivesVideo ? videoFigures(window, this.#peer) : null;
    const audio = audioIn && !peerMuted ? audioMos(audioIn) : null;
    const video = videoIn && videoIn.windowSeconds > 0 ? videoMos(videoIn) : null;
    const flowing = !!(window.audio?.packetsReceived || window.video?.framesDecoded);
    const reading = this.#level.update({ audio, video, flowing, reconnecting });
    const reasons: QualityReason[] = [];
    if (audioIn && flowing) {
      this.#loss += (audioIn.lossPercent - this.#loss) * REASON_WEIGHT;
      this.#delay += ((audioIn.rttMs ?? 0) / 2 + 2 * audioIn.jitterMs + 10 - this.#delay) * REASON_WEIGHT;
      if (this.#loss >= LOSS_REASON_PERCENT) reasons.push('loss');
      if (this.#delay >= DELAY_REASON_MS) reasons.push('delay');
    }
    this.#local = { level: reading.level, mos: round(reading.mos), audio: round(audio), video: round(video), reasons };
    this.#limitation = window.limitation === 'cpu' || window.limitation === 'bandwidth' ? window.limitation : null;
    this.#count(window);
    const report: QualityReport = {
      ...this.#local,
      reasons: reasons as ('loss' | 'delay')[],
      ...(this.#limitation && { limitation: this.#limitation }),
      ...(window.sent && { pixels: window.sent.pixels, fps: this.#fps(window.sent.fps) }),
    };
    // What the peer judges by changes rarely: the level, the reasons, what is sent.
    const key = JSON.stringify([report.level, reasons, report.limitation, report.pixels, report.fps]);
    if (key !== this.#sentKey) {
      this.#sentKey = key;
      this.#sentFps = report.fps;
      this.#send(report);
    }
    this.#onChange(this.quality);
  }

  /** The frame rate to report: the last one sent while the rate wanders within a fifth of it (or 3 fps). */
  #fps(measured: number): number {
    const fps = Math.round(measured);
    const last = this.#sentFps;
    return last !== undefined && Math.abs(fps - last) < Math.max(3, last / 5) ? last : fps;
  }

  #count(window: StatsWindow): void {
    const t = this.#totals;
    const { level } = this.quality;
    t.levels[level === null ? 'unknown' : (`${level}` as const)] += window.seconds * 1000;
    // The score of what this side received, while it had one: the peer's report may be from before an outage.
    const { mos } = this.#local;
    if (mos !== null && this.#local.level) {
      t.mos += mos;
      t.mosCount += 1;
      t.minMos = Math.min(t.minMos, mos);
    }
    if (window.rttMs !== null) {
      t.rtt += window.rttMs;
      t.rttCount += 1;
    }
    t.lost += window.audio?.packetsLost ?? 0;
    t.expected += (window.audio?.packetsLost ?? 0) + (window.audio?.packetsReceived ?? 0);
  }
}
