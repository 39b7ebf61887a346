/**
 * When a drop in call quality is worth saying aloud (the widget's `role="alert"`): on a drop to 2 bars or fewer
 * from better, at most once per ANNOUNCE_EVERY_MS so a link that flaps does not chatter, and a drop held back by
 * that limit once it is over, if the connection is still that poor. Not for 0: an outage is `reconnecting`,
 * which the status line says; nor for coming back from one (0, then unknown, then 1 is no drop). Pure: the time
 * is the caller's.
 */
export const ANNOUNCE_EVERY_MS = 10_000;

export class QualityAlert {
  /** The last known level (unknown readings change nothing). */
  #last: number | null = null;
  #saidAt = -Infinity;
  #pending = false;

  /** A new level at `now` (ms): whether to announce it now. */
  update(level: number | null, now: number): boolean {
    if (level === null) return false;
    const last = this.#last;
    this.#last = level;
    if (level === 0 || level > 2) return (this.#pending = false);
    if (last === null || last > 2) this.#pending = true;
    if (!this.#pending || now - this.#saidAt < ANNOUNCE_EVERY_MS) return false;
    this.#pending = false;
    this.#saidAt = now;
    return true;
  }
}
