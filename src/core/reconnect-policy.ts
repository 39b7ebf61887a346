/**
 * The reconnect ladder as a pure function: which attempt comes next, and after how long. No timers, no
 * connection: `call-recovery.ts` runs it.
 *
 * ICE restarts first (cheap: the DTLS session and the media keep their keys), then rebuilding the peer
 * connection from scratch. Both sides notice the same outage at about the same moment, and two restarts
 * crossing each other were seen to freeze the polite side's video in Chromium (frames decoded, none
 * presented). So the two roles take turns: the impolite side's rungs fall on even seconds, the polite
 * side's on odd ones, and the jitter is kept well under the half-second gap between them.
 */
export type RecoveryMethod = 'ice-restart' | 'rebuild';

export interface RecoveryStep {
  method: RecoveryMethod;
  /** After trouble was noticed, when this attempt runs (ms). */
  atMs: number;
}

/** The impolite side's ladder; the polite side runs each rung one second later. */
const LADDER: Array<{ method: RecoveryMethod; atMs: number }> = [
  { method: 'ice-restart', atMs: 0 },
  { method: 'ice-restart', atMs: 2000 },
  { method: 'ice-restart', atMs: 4000 },
  { method: 'rebuild', atMs: 6000 },
  { method: 'rebuild', atMs: 10_000 },
];
/** After the ladder's last rung, rebuilds repeat at this pace until the reconnect window closes. */
const LATER_INTERVAL_MS = 6000;
/** The polite side's offset from the impolite side's rungs. */
export const POLITE_OFFSET_MS = 1000;
/** Random extra delay per rung, up to this, so many clients do not retry in lockstep with each other. */
export const MAX_JITTER_MS = 300;

/** The `index`th attempt (0-based) of one episode of trouble; `random` is in [0, 1). */
export function recoveryStep(index: number, polite: boolean, random: number): RecoveryStep {
  const rung = LADDER[index] ?? { method: 'rebuild' as const, atMs: LADDER.at(-1)!.atMs + (index - LADDER.length + 1) * LATER_INTERVAL_MS };
  const offset = polite ? POLITE_OFFSET_MS : 0;
  return { method: rung.method, atMs: rung.atMs + offset + Math.floor(random * MAX_JITTER_MS) };
}
