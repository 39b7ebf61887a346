/**
 * A clock whose time moves only when a test says so (`tick`), for the core's ring, connect and reconnect
 * timers. Between timers it lets pending promises settle, so async steps run as they would in real time.
 */
import type { Clock, TimerHandle } from '../../src/core/clock.js';

interface Timer {
  at: number;
  callback: () => void;
  every?: number;
}

/** One real macrotask: every promise callback queued so far has run after it. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

export class FakeClock implements Clock {
  #now = 1_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as unknown as number);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback, every: Math.max(1, ms) });
    return id as unknown as TimerHandle;
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, firing each timer due on the way in order, letting promises settle after each. */
  async tick(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let fired = 0; fired < 100_000; fired++) {
      let next: [number, Timer] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.#now = timer.at;
      if (timer.every) timer.at += timer.every;
      else this.#timers.delete(id);
      timer.callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}
