/**
 * The site the browser benches load their pages from: an HTTP server on loopback that serves the pages a bench
 * builds and the scripts they load, uncached. Shared by bench/call-setup/servers.ts and
 * bench/camera-switch/servers.ts.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The widget as a site owner puts it on a page (README, "Put a call on your page"), 320 px wide: headless
 * Chromium paints video without a GPU, at a CPU cost in proportion to its size. `query` names the server, the
 * room and the role (the display name).
 */
export function widgetMarkup(query: URLSearchParams): string {
  const server = escape(query.get('server') ?? '');
  return `<script type="module" src="${server}/call-widget.js"></script>
<call-widget style="width: 320px" signaling-url="${server}" ice-servers-url="${server}/ice-servers" room="${escape(query.get('room') ?? '')}" display-name="${escape(query.get('role') ?? '')}"></call-widget>`;
}

/**
 * `page(pathname, query)` gives a page's HTML, or null for a path that is not a page; `assets` maps paths to
 * the JavaScript files served for them. `port` 0: any free one.
 */
export async function startSite(
  page: (pathname: string, query: URLSearchParams) => string | null,
  assets: Record<string, string>,
  port = 0,
): Promise<{ url: string; stop(): Promise<void> }> {
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://site');
    const html = page(url.pathname, url.searchParams);
    if (html !== null) {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      return void response.end(html);
    }
    const asset = assets[url.pathname];
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
