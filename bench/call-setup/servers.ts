/**
 * Everything the call-setup bench talks to, on 127.0.0.1 with free ports:
 * - the site: the pages of every scenario, on an origin of its own (a site owner's);
 * - the widget's reference server, started as `npm start` starts it, allowing the site's origin;
 * - PeerJS's PeerServer and the plain Socket.IO relay, each in a process of its own like the reference server.
 */
import { fileURLToPath } from 'node:url';
import { startServer } from '../../test/support/servers.mjs';
import { escape, startSite, widgetMarkup } from '../site.js';

/** The pages: one per way of setting up a call. */
export type PageName = 'floor' | 'peerjs' | 'socketio' | 'widget';

export interface BenchServers {
  /** Origin of the pages. */
  site: string;
  /** The widget's reference server (signaling, `/call-widget.js`, `/ice-servers`). */
  callServer: string;
  peerServer: string;
  relay: string;
  stop(): Promise<void>;
}

const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** What the site serves besides the pages: the scenario scripts and the two client libraries. */
const ASSETS: Record<string, string> = {
  '/pages/common.js': file('./pages/common.js'),
  '/pages/floor.js': file('./pages/floor.js'),
  '/pages/peerjs.js': file('./pages/peerjs.js'),
  '/pages/socketio.js': file('./pages/socketio.js'),
  '/pages/widget.js': file('./pages/widget.js'),
  '/vendor/peerjs.min.js': file('../../node_modules/peerjs/dist/peerjs.min.js'),
  '/vendor/socket.io.esm.min.js': file('../../node_modules/socket.io/client-dist/socket.io.esm.min.js'),
};

const video = (id: string) => `<video id="${id}" autoplay playsinline width="320" height="240"></video>`;

/** A page; `query` carries the role, ids and server URLs its script reads. */
function page(name: PageName, query: URLSearchParams): string {
  const head = `<!doctype html>\n<meta charset="utf-8"><title>${name} ${escape(query.get('role') ?? '')}</title>\n`;
  switch (name) {
    case 'floor':
      return `${head}${video('caller-remote')}${video('callee-remote')}\n<script type="module" src="/pages/floor.js"></script>`;
    case 'peerjs':
      return `${head}${video('remote')}\n<script src="/vendor/peerjs.min.js"></script>\n<script type="module" src="/pages/peerjs.js"></script>`;
    case 'socketio':
      return `${head}${video('remote')}\n<script type="module" src="/pages/socketio.js"></script>`;
    case 'widget':
      // What a site owner writes, plus the observer, which runs first; sized like the other pages' videos.
      return `${head}<script type="module" src="/pages/widget.js"></script>\n${widgetMarkup(query)}`;
  }
}

const PAGE_PATHS = new Set(['/floor', '/peerjs', '/socketio', '/widget']);
const sitePage = (pathname: string, query: URLSearchParams) => (PAGE_PATHS.has(pathname) ? page(pathname.slice(1) as PageName, query) : null);

/** Starts them all; if any fails to start, stops those that did and rethrows. */
export async function startBenchServers(): Promise<BenchServers> {
  const site = await startSite(sitePage, ASSETS);
  const started = await Promise.allSettled([
    startServer({ name: 'call-server', env: { ALLOWED_ORIGINS: site.url } }),
    startServer({ name: 'peer-server', entry: 'bench/peer-server.ts' }),
    startServer({ name: 'relay', entry: 'bench/call-setup/relay-server.ts' }),
  ]);
  const stopAll = () =>
    Promise.all([site.stop(), ...started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined))]).then(() => {});
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [callServer, peerServer, relay] = started.map((s) => (s as PromiseFulfilledResult<{ url: string }>).value.url);
  return { site: site.url, callServer, peerServer, relay, stop: stopAll };
}
