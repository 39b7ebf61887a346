/**
 * Call quality as a person hears and sees it, scored from one window of receive-side figures (a second of
 * `getStats()` deltas): an audio score from the E-model, a video score from freezes, resolution and frame rate,
 * and 0-5 bars that drop fast and rise slowly. Pure: the figures come from the stats sampler; the time is the
 * caller's (each window is one call of `QualityLevel.update`).
 */

/** The figures of one window that the audio score reads. */
export interface AudioFigures {
  /** Round-trip time (candidate pair `currentRoundTripTime`, or `remote-inbound-rtp`), ms; null if unknown. */
  rttMs: number | null;
  /** Interarrival jitter of the inbound audio (`inbound-rtp` `jitter`), ms. */
  jitterMs: number;
  /** Packets lost in the window over packets expected, in percent (0-100). */
  lossPercent: number;
}

/**
 * How many points of R each percent of packet loss costs. G.107 derives it from the codec's Ie and Bpl; for
 * Opus with in-band FEC, the browsers' default, about 5.3 per percent at the loss rates a call survives (a
 * figure for robust wideband codecs, as in the common simplification of Cole and Rosenbluth, "Voice over IP
 * performance monitoring", ACM SIGCOMM CCR 2001, whose delay term is used below).
 */
export const OPUS_LOSS_WEIGHT = 5.3;

/**
 * The E-model's transmission rating R (ITU-T G.107), simplified: R = 93.2 - Id - Ie, with the effective one-way
 * delay d = RTT/2 + 2 × jitter (the jitter buffer) + 10 ms (the codec), Id = d/40 below 160 ms and (d - 120)/10
 * from there (Cole and Rosenbluth), and Ie the loss term above. 93.2 is G.107's default R with no impairment.
 */
export function transmissionRating({ rttMs, jitterMs, lossPercent }: AudioFigures): number {
  const delay = (rttMs ?? 0) / 2 + 2 * jitterMs + 10;
  const delayImpairment = delay < 160 ? delay / 40 : (delay - 120) / 10;
  return 93.2 - delayImpairment - OPUS_LOSS_WEIGHT * Math.min(100, Math.max(0, lossPercent));
}

/** MOS from R, ITU-T G.107 (B-4): 1 at or below R 0, 4.5 at or above R 100. */
export function mosFromRating(rating: number): number {
  if (rating <= 0) return 1;
  if (rating >= 100) return 4.5;
  return 1 + 0.035 * rating + 7e-6 * rating * (rating - 60) * (100 - rating);
}

export const audioMos = (figures: AudioFigures): number => mosFromRating(transmissionRating(figures));

/** The figures of one window that the video score reads. */
export interface VideoFigures {
  /** Length of the window, s. */
  windowSeconds: number;
  /** Time the picture froze in the window (`inbound-rtp` `totalFreezesDuration` delta), s. */
  freezeSeconds: number;
  /** Frames decoded per second in the window. */
  framesPerSecond: number;
  /** Pixels of the frames received (`frameWidth` × `frameHeight`), and of those the far side sends; null if unknown. */
  receivedPixels: number | null;
  sentPixels: number | null;
  /** Frames per second the far side sends, when it says: a camera that gives 15 fps is not judged by 24. */
  sentFramesPerSecond?: number | null;
}

/**
 * A video score on the MOS scale (1-4.5). There is no standard as simple as the E-model for video (ITU-T
 * P.1203 needs the bitstream); this is our own weighting, set so that what a person notices costs about a bar:
 * the picture frozen for a tenth of the window costs 1.0, a quarter of the pixels sent (half the width and
 * height) 1.0, half the frame rate of 24 fps (or of what is sent, when less) 0.75; each is capped so that one alone cannot take the score below
 * 1.5, and a window frozen throughout scores 1.
 */
export function videoMos({ windowSeconds, freezeSeconds, framesPerSecond, receivedPixels, sentPixels, sentFramesPerSecond }: VideoFigures): number {
  const frozen = windowSeconds > 0 ? Math.min(1, Math.max(0, freezeSeconds / windowSeconds)) : 0;
  if (frozen >= 1 || framesPerSecond <= 0) return 1;
  const freezePenalty = Math.min(3, 10 * frozen);
  const scale = receivedPixels && sentPixels ? Math.min(1, receivedPixels / sentPixels) : 1;
  const resolutionPenalty = Math.min(1.5, 0.5 * Math.log2(1 / scale));
  const expected = Math.min(24, sentFramesPerSecond || 24);
  const ratePenalty = Math.min(1.5, (Math.max(0, expected - framesPerSecond) / expected) * 1.5);
  return Math.max(1, 4.5 - freezePenalty - resolutionPenalty - ratePenalty);
}

/** Bars for a MOS, with media flowing: the thresholds (4.2, 4.0, 3.6, 3.0 for 5, 4, 3, 2). */
export function barsForMos(mos: number): 1 | 2 | 3 | 4 | 5 {
  if (mos >= 4.2) return 5;
  if (mos >= 4.0) return 4;
  if (mos >= 3.6) return 3;
  if (mos >= 3.0) return 2;
  return 1;
}

/** One window as the level sees it. */
export interface QualityWindow {
  /** The audio score, or null when there is none to judge (the far side muted: silence is not loss). */
  audio: number | null;
  /** The video score, or null while no video is expected (camera off, audio-only). */
  video: number | null;
  /** Whether any media arrived in the window. */
  flowing: boolean;
  /** The call is `reconnecting`. */
  reconnecting: boolean;
}

/** `level` null: unknown (too early, or nothing to judge). */
export interface QualityReading {
  level: 0 | 1 | 2 | 3 | 4 | 5 | null;
  /** The smoothed score the level is read from (the worse of audio and video), null while unknown. */
  mos: number | null;
}

export interface QualityLevelOptions {
  /** Windows before a first level: the first seconds' figures are the jitter buffer filling. */
  warmupWindows?: number;
  /** Windows without media before the level is 0 (4 s of one-second windows). */
  silentWindows?: number;
}

/**
 * The asymmetric moving average, of the median of the last three windows: a worse reading moves the score 60 %
 * of the way to it (a real drop shows on its second window; a single odd one, a 200 ms freeze, is the median's
 * to ignore), a better one 20 % (a recovery has to last).
 */
const FALL_WEIGHT = 0.6;
const RISE_WEIGHT = 0.2;

/**
 * 0-5 bars from a stream of windows, smoothed so that it does not cry wolf: one odd window counts for nothing
 * (the median of three), the score falls fast and rises slowly (FALL_WEIGHT, RISE_WEIGHT), and the bars go up only after two windows in a row that read higher.
 * Unknown (null) for the first windows and while there is nothing to judge; 0 while reconnecting or after
 * `silentWindows` windows without media.
 */
export class QualityLevel {
  readonly #warmup: number;
  readonly #silent: number;
  #windows = 0;
  #withoutMedia = 0;
  #mos: number | null = null;
  #level: QualityReading['level'] = null;
  #higherInARow = 0;
  /** The last three windows' scores: the level reads their median, so one odd window (a stutter) moves nothing. */
  #recent: number[] = [];

  constructor({ warmupWindows = 3, silentWindows = 4 }: QualityLevelOptions = {}) {
    this.#warmup = warmupWindows;
    this.#silent = silentWindows;
  }

  get reading(): QualityReading {
    return { level: this.#level, mos: this.#mos };
  }

  update(window: QualityWindow): QualityReading {
    this.#windows += 1;
    this.#withoutMedia = window.flowing ? 0 : this.#withoutMedia + 1;
    if (window.reconnecting || this.#withoutMedia >= this.#silent) {
      // What comes after is judged afresh, after a warm-up of its own (the first seconds after an outage hold
      // its freezes and a jitter buffer filling again), not averaged with what came before.
      this.#mos = null;
      this.#recent = [];
      this.#windows = 0;
      return this.#set(0);
    }
    // A gap shorter than that: the level holds.
    if (!window.flowing) return this.reading;
    const scores = [window.audio, window.video].filter((score): score is number => score !== null);
    if (scores.length === 0) {
      this.#mos = null;
      this.#recent = [];
      return this.#set(null);
    }
    // The warm-up's windows are not averaged in: a slow first second (a decoder waiting for its first key frame)
    // would take many windows to rise from.
    if (this.#windows <= this.#warmup) return this.#set(null);
    this.#recent = [...this.#recent.slice(-2), Math.min(...scores)];
    // The median of three (of two, the higher): a real drop shows on its second window.
    const score = [...this.#recent].sort((a, b) => a - b)[this.#recent.length >> 1]!;
    this.#mos = this.#mos === null ? score : this.#mos + (score - this.#mos) * (score < this.#mos ? FALL_WEIGHT : RISE_WEIGHT);
    const bars = barsForMos(this.#mos);
    if (this.#level === null || this.#level === 0 || bars <= this.#level) return this.#set(bars);
    // Higher: only on the second window in a row that says so.
    this.#higherInARow += 1;
    return this.#higherInARow >= 2 ? this.#set(bars) : this.reading;
  }

  #set(level: QualityReading['level']): QualityReading {
    this.#higherInARow = 0;
    this.#level = level;
    return this.reading;
  }
}
