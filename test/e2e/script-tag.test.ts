/**
 * What a site owner does: a plain HTML page on their own origin loads only `dist/call-widget.js` from the
 * call server started as `npm start` starts it, and two visitors in two browser contexts call each other.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { startServer } from '../support/servers.mjs';
import { remoteVideoScript, type RemoteVideo } from './remote-video.js';

let site: Server;
let siteOrigin: string;
let callServer: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;

/** The site owner's page: nothing but the script tag and the element. */
const page = (signalingUrl: string, room: string, name: string) => `<!doctype html>
<meta charset="utf-8"><title>${name}</title>
<script type="module" src="${signalingUrl}/call-widget.js"></script>
<call-widget signaling-url="${signalingUrl}" room="${room}" ice-servers-url="${signalingUrl}/ice-servers" display-name="${name}"></call-widget>`;

before(async () => {
  assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
  site = createServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(page(url.searchParams.get('server')!, url.searchParams.get('room')!, url.searchParams.get('name')!));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  callServer = await startServer({ name: 'npm-start', env: { ALLOWED_ORIGINS: siteOrigin } });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await callServer?.stop();
  site?.close();
});

async function visitor(name: string, room: string, origin = siteOrigin, init?: string): Promise<Page> {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  const p = await context.newPage();
  const query = new URLSearchParams({ server: callServer.url, room, name });
  await p.goto(`${origin}/?${query.toString()}`);
  return p;
}

async function waitForState(p: Page, state: string, timeout = 20_000) {
  await p.locator(`call-widget[state="${state}"]`).waitFor({ timeout });
}

const REMOTE_VIDEO = remoteVideoScript("document.querySelector('call-widget')");
const remoteVideo = (p: Page): Promise<RemoteVideo> => p.evaluate(REMOTE_VIDEO);

describe('the script-tag bundle on another origin', () => {
  it('lets two visitors call each other and see each other', async () => {
    const room = `e2e-${Date.now()}`;
    const alice = await visitor('Alice', room);
    await waitForState(alice, 'waiting');
    const bob = await visitor('Bob', room);
    await waitForState(alice, 'ready');
    await waitForState(bob, 'ready');

    await alice.locator('call-widget [part="call-button"]').click();
    await waitForState(bob, 'ringing');
    await bob.locator('call-widget [part="accept-button"]').click();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);

    for (const p of [alice, bob]) {
      const video = await remoteVideo(p);
      assert.ok(video.frames > 5, `${await p.title()} saw ${video.frames} frames`);
      assert.ok(video.width > 0 && video.height > 0, `${await p.title()} video is ${video.width}x${video.height}`);
    }

    // Bob's tab closes without hanging up: Alice hears it from the server at once, not after a timeout.
    const closedAt = Date.now();
    await bob.context().close();
    // The call is over and there is nobody to call: `waiting`, and the status says why.
    await waitForState(alice, 'waiting', 5000);
    assert.ok(Date.now() - closedAt < 5000);
    assert.equal(await alice.locator('call-widget [part="status"]').textContent(), 'The other person left. Waiting for someone to join…');
    await alice.context().close();
  });

  it('falls back to long-polling where WebSocket is blocked, and calls', async () => {
    // As behind a proxy that resets WebSocket upgrades: every WebSocket the page opens fails to connect.
    const blockWebSocket = `window.WebSocket = class extends WebSocket { constructor() { super('ws://127.0.0.1:9/'); } };`;
    const room = `e2e-${Date.now()}`;
    const alice = await visitor('Alice', room, siteOrigin, blockWebSocket);
    const polls: string[] = [];
    alice.on('request', (request) => request.url().includes('transport=polling') && polls.push(request.method()));
    const bob = await visitor('Bob', room);
    await Promise.all([waitForState(alice, 'ready'), waitForState(bob, 'ready')]);
    await alice.locator('call-widget [part="call-button"]').click();
    await waitForState(bob, 'ringing');
    await bob.locator('call-widget [part="accept-button"]').click();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    // Alice's signaling ran over HTTP: polls (GET) and messages (POST) after the handshake.
    assert.ok(polls.includes('GET') && polls.includes('POST'), `Alice's polling requests: ${polls.join(' ')}`);
    // Long-polling is not in the bundle: it comes from beside it once a WebSocket failed, and only then.
    const besideTheBundle = (p: Page) =>
      p.evaluate(() => performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname).filter((path) => path.startsWith('/call-widget-')));
    assert.deepEqual(await besideTheBundle(alice), ['/call-widget-long-polling.js']);
    assert.deepEqual(await besideTheBundle(bob), [], "Bob's WebSocket connected: he loads nothing beside the bundle");
    await Promise.all([alice.context().close(), bob.context().close()]);
  });

  it('refuses a page whose origin the server does not allow, and says so', async () => {
    // Same host and port, but "localhost" is another origin than "127.0.0.1".
    const stranger = await visitor('Mallory', `e2e-${Date.now()}`, siteOrigin.replace('127.0.0.1', 'localhost'));
    await waitForState(stranger, 'failed', 15_000);
    const status = await stranger.locator('call-widget [part="status"]').textContent();
    assert.match(status ?? '', /refused the connection: origin-not-allowed/);
    await stranger.context().close();
  });
});
