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
    // `change` also fires when the browser's estimates of speed and delay move; only a new kind of network
    // (Wi-Fi to cellular, say) means new addresses. Where the kind is not told (desktop Chrome), it is left out.
    const connection = (navigator as Navigator & { connection?: EventTarget & { type?: string } }).connection;
    let kind = connection?.type;
    connection?.addEventListener(
      'change',
      (event) => {
        if (connection.type === undefined || connection.type === kind) return;
        kind = connection.type;
        onNetwork(event);
      },
      { signal },
    );
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
