/**
 * A microphone level meter: time-domain samples in, what a level bar and the "no input", "clipping" and
 * "you are muted" hints show out. No DOM: the samples come from `read` (src/controllers/audio-level.ts takes
 * them from Web Audio), the time from `clock`.
 */
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface LevelReading {
  /** 0..1 for a level bar, in 0.02 steps: rises at once, falls back slowly (×0.85 per 100 ms). */
  level: number;
  /** 3 s in a row below 1 % of full scale (rms): a dead microphone, or one muted at the device. */
  noInput: boolean;
  /** A sample at full scale (≥ 0.99) within the last second. */
  clipping: boolean;
  /** Louder than 2 % of full scale (rms) for at least 300 ms of the last 500 ms: someone speaks. */
  speaking: boolean;
}

export interface LevelMeterOptions {
  /** Time-domain samples, -1..1; null while there is no source, which reads as level 0 and every flag false. */
  read: () => Float32Array | null;
  /** Called with the first reading, then only when it changed: another 0.02 step of level, or a flag. */
  onReading: (reading: LevelReading) => void;
  clock?: Clock;
  /** How often `read` is polled; 100 ms by default. */
  intervalMs?: number;
}

/** Root mean square of `samples`, 0..1 of full scale (a full-scale sine is 0.707); 0 for none. */
export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / (samples.length || 1));
}

/** The largest magnitude in `samples`, 0..1 of full scale. */
export function peak(samples: Float32Array): number {
  let max = 0;
  for (const x of samples) max = Math.max(max, Math.abs(x));
  return max;
}

export class LevelMeter {
  readonly #read: () => Float32Array | null;
  readonly #onReading: (reading: LevelReading) => void;
  readonly #clock: Clock;
  readonly #ms: number;
  #timer: TimerHandle | undefined;
  #level = 0;
  /** When rms was last ≥ 1 % of full scale (or the meter started, or the source came back). */
  #heardAt = 0;
  #clippedAt = -Infinity;
  /** When rms was ≥ 2 % of full scale, over the last 500 ms. */
  #voiced: number[] = [];
  #last = '';

  constructor(options: LevelMeterOptions) {
    this.#read = options.read;
    this.#onReading = options.onReading;
    this.#clock = options.clock ?? systemClock;
    this.#ms = options.intervalMs ?? 100;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#reset();
    this.#last = '';
    this.#timer = this.#clock.setInterval(() => this.#poll(), this.#ms);
  }

  stop(): void {
    this.#clock.clearInterval(this.#timer!);
    this.#timer = undefined;
  }

  #reset(): void {
    this.#level = 0;
    this.#heardAt = this.#clock.now();
    this.#clippedAt = -Infinity;
    this.#voiced = [];
  }

  #poll(): void {
    const now = this.#clock.now();
    const samples = this.#read() ?? (this.#reset(), new Float32Array());
    const r = rms(samples);
    // The thresholds are the widget's choices, not measured constants: 1 % of full scale (-40 dBFS) for "no
    // input", as a microphone that is on hears room noise above it; 2 % (-34 dBFS) for speech, which sits well
    // above that near a microphone; full scale (0.99) for clipping.
    if (r >= 0.01) this.#heardAt = now;
    if (peak(samples) >= 0.99) this.#clippedAt = now;
    this.#voiced = this.#voiced.filter((t) => now - t < 500);
    if (r >= 0.02) this.#voiced.push(now);
    // dBFS onto 0..1 over the 60 dB an input meter usually shows (-60 quiet, 0 full scale): 20·log10(r)/60 + 1,
    // as loudness is heard on a log scale (a linear bar would sit near the bottom for speech). Rises at once,
    // falls like a VU meter's needle, so the bar does not flicker between words.
    this.#level = Math.max(Math.min(1, Math.log10(r) / 3 + 1), this.#level * 0.85 ** (this.#ms / 100));
    const reading: LevelReading = {
      level: Math.round(this.#level * 50) / 50,
      noInput: now - this.#heardAt >= 3000,
      clipping: now - this.#clippedAt < 1000,
      speaking: this.#voiced.length * this.#ms >= 300,
    };
    const key = JSON.stringify(reading);
    if (key !== this.#last) this.#onReading(reading);
    this.#last = key;
  }
}
