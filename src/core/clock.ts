/**
 * Time, as the core reads it. The real clock is the default; tests pass a fake one so that ring, connect and
 * reconnect timeouts take no real time.
 */
export type TimerHandle = ReturnType<typeof setTimeout>;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle),
};

/** A timeout that is cleared when `signal` aborts, and never calls back after that. */
export function timeoutWhile(clock: Clock, signal: AbortSignal, ms: number, callback: () => void): TimerHandle | null {
  if (signal.aborted) return null;
  const handle = clock.setTimeout(() => {
    signal.removeEventListener('abort', cancel);
    if (!signal.aborted) callback();
  }, ms);
  const cancel = () => clock.clearTimeout(handle);
  signal.addEventListener('abort', cancel, { once: true });
  return handle;
}
