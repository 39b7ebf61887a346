/**
 * What the camera-switch bench talks to, on 127.0.0.1: the site (one page, `/call`, with `<call-widget>` as a
 * site owner puts it, and the bench's page scripts) on an origin of its own, and the widget's reference
 * server, started as `npm start` starts it, allowing the site's origin.
 *
 * Ports: any free ones by default; `portBase` N puts the site on N and the reference server on N + 1 (for a
 * machine where each user keeps to a range of ports).
 */
import { fileURLToPath } from 'node:url';
import { startServer } from '../../test/support/servers.mjs';
import { escape, startSite, widgetMarkup } from '../site.js';

export interface SwitchServers {
  /** Origin of the page. */
  site: string;
  /** The widget's reference server (signaling, `/call-widget.js`, `/ice-servers`). */
  callServer: string;
  stop(): Promise<void>;
}

const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const ASSETS: Record<string, string> = {
  '/pages/call.js': file('./pages/call.js'),
  '/pages/cameras.js': file('./pages/cameras.js'),
};

/**
 * The page: the bench's script first (it must wrap `RTCPeerConnection` and `getUserMedia` before the widget
 * uses them), then the widget from its server, sized like the call-setup pages' (see `widgetMarkup`).
 */
function page(pathname: string, query: URLSearchParams): string | null {
  if (pathname !== '/call') return null;
  return `<!doctype html>
<meta charset="utf-8"><title>camera switch ${escape(query.get('role') ?? '')}</title>
<script type="module" src="/pages/call.js"></script>
${widgetMarkup(query)}
`;
}

/** Starts both; if the reference server fails to start, stops the site and rethrows. */
export async function startSwitchServers(portBase = 0): Promise<SwitchServers> {
  const site = await startSite(page, ASSETS, portBase);
  try {
    const call = (await startServer({ name: 'call-server', env: { ALLOWED_ORIGINS: site.url, PORT: String(portBase && portBase + 1) } })) as {
      url: string;
      stop(): Promise<void>;
    };
    return { site: site.url, callServer: call.url, stop: () => Promise.all([site.stop(), call.stop()]).then(() => {}) };
  } catch (error) {
    await site.stop();
    throw error;
  }
}
