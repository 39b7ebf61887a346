/**
 * The page around the widget: going away (`pagehide`), coming back from the back/forward cache (`pageshow`),
 * and the device's network (`online`, `offline`, `navigator.connection` changes). Listeners exist only while
 * the element is in the document, so nothing is left behind at module load or after removal.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface PageLifecycleEvents {
  /** Tab closed or navigated away. */
  onLeave(): void;
  /** Back from the back/forward cache: the page lives again. */
  onReturn(): void;
}

export type NetworkChange = 'offline' | 'online' | 'change';

export class PageLifecycleController implements ReactiveController {
  readonly #events: PageLifecycleEvents;
  #abort: AbortController | null = null;
  readonly #network = new Set<(kind: NetworkChange) => void>();

  constructor(host: ReactiveControllerHost, events: PageLifecycleEvents) {
    this.#events = events;
    host.addController(this);
  }

  hostConnected(): void {
    this.#abort = new AbortController();
    const { signal } = this.#abort;
    addEventListener('pagehide', () => this.#events.onLeave(), { signal });
    addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && this.#events.onReturn(), { signal });
    const onNetwork = ({ type }: Event) => {
      for (const listener of this.#network) listener(type as NetworkChange);
    };
    addEventListener('offline', onNetwork, { signal });
    addEventListener('online', onNetwork, { signal });
    (navigator as Navigator & { connection?: EventTarget }).connection?.addEventListener('change', onNetwork, { signal });
  }

  hostDisconnected(): void {
    this.#abort?.abort();
    this.#abort = null;
  }

  /** Calls back on network changes while the element is in the page; returns the unsubscribe function. */
  watchNetwork(listener: (kind: NetworkChange) => void): () => void {
    this.#network.add(listener);
    return () => this.#network.delete(listener);
  }

  /** `navigator.sendBeacon`, where the browser has it: a request that outlives the page. */
  sendBeacon(url: string, body: string): boolean {
    try {
      return navigator.sendBeacon?.(url, new Blob([body], { type: 'text/plain' })) ?? false;
    } catch {
      return false;
    }
  }
}
