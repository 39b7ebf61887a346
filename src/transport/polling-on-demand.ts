/**
 * Long-polling, loaded when it is needed. The bundle's Engine.IO knows only WebSocket (build/stand-ins.ts,
 * onlyTheTransportsUsed); once a WebSocket could not connect, `loadLongPolling()` fetches the transport from
 * beside the bundle (src/transport/long-polling.ts) and adds it to Engine.IO's transports, for the next attempt
 * to fall back to. Outside the bundle (Node, the unbundled tests) Engine.IO has its own polling already.
 */
import { transports } from 'engine.io-client';

/** Whether Engine.IO can fall back to long-polling now. */
export const canPoll = (): boolean => 'polling' in transports;

let loading: Promise<boolean> | undefined;

/** Resolves `true` once long-polling is there, `false` if it could not be loaded (the console says why). */
function loadLongPolling(): Promise<boolean> {
  if (canPoll()) return Promise.resolve(true);
  loading ??= import('./long-polling.js').then(
    ({ LongPolling }) => {
      (transports as Record<string, unknown>).polling = LongPolling;
      return true;
    },
    (error: unknown) => {
      // Not deployed beside the bundle, or the network went away: WebSocket only, and a later try may load it.
      console.warn('[call-widget] long-polling could not be loaded; signaling tries WebSocket only:', error);
      loading = undefined;
      return false;
    },
  );
  return loading;
}

/**
 * Adds `polling` to `transports` (the options the Socket.IO Manager opens each attempt with) once long-polling
 * is loaded, so that the next attempt falls back to it; nothing when it is there already or cannot be loaded.
 */
export async function fallBackToPolling(transports: string[]): Promise<void> {
  if (transports.includes('polling') || !(await loadLongPolling())) return;
  if (!transports.includes('polling')) transports.push('polling');
}
