/**
 * What the camera-switch bench talks to, on 127.0.0.1: the site (one page, `/call`, with `<call-widget>` as a
 * site owner puts it, and the bench's page scripts) on an origin of its own, and the widget's reference
 * server, started as `npm start` starts it, allowing the site's origin.
 *
 * Ports: any free ones by default; `portBase` N puts the site on N and the reference server on N + 1 (for a
 * machine where each user keeps to a range of ports).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../test/support/servers.mjs';

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

const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page: the bench's script first (it must wrap `RTCPeerConnection` and `getUserMedia` before the widget
 * uses them), then the widget from its server. 320 px wide, like the call-setup pages: headless Chromium
 * paints video without a GPU, and a full-width widget would spend the CPU on painting.
 */
function page(query: URLSearchParams): string {
  const server = escape(query.get('server') ?? '');
  return `<!doctype html>
<meta charset="utf-8"><title>camera switch ${escape(query.get('role') ?? '')}</title>
<script type="module" src="/pages/call.js"></script>
<script type="module" src="${server}/call-widget.js"></script>
<call-widget style="width: 320px" signaling-url="${server}" ice-servers-url="${server}/ice-servers" room="${escape(query.get('room') ?? '')}" display-name="${escape(query.get('role') ?? '')}"></call-widget>
`;
}

async function startSite(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://site');
    if (url.pathname === '/call') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      return void response.end(page(url.searchParams));
    }
    const asset = ASSETS[url.pathname];
    if (!asset) return void response.writeHead(404).end();
    readFile(asset).then(
      (body) => response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** Starts both; if the reference server fails to start, stops the site and rethrows. */
export async function startSwitchServers(portBase = 0): Promise<SwitchServers> {
  const site = await startSite(portBase);
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
