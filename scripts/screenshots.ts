/**
 * `npm run screenshots`: pictures of `<call-widget>` for the README, taken from the built bundle in real calls.
 * Builds nothing: run `npm run build` first. Starts the reference server (`DEMO=on`, port `SCREENSHOT_PORT`,
 * default 8961), opens two visitors in headless Chromium with fake cameras and microphones (test/support), and
 * writes element-only PNGs to docs/screenshots/. Each page is served under a CSP without 'unsafe-inline', as a
 * strict site would, and any violation fails the run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/support/chromium.mjs';
import { startServer } from '../test/support/servers.mjs';

const OUT = 'docs/screenshots';
const WIDE = 640;
const PHONE = 390;

/** The host page: the element and its width, nothing else. `media` is the attribute's value. */
const html = (name: string, room: string, media: string) => `<!doctype html>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name}</title>
<link rel="stylesheet" href="/shot.css">
<script type="module" src="/call-widget.js"></script>
<call-widget signaling-url="${server.url}" room="${room}" ice-servers-url="/ice-servers" display-name="${name}" media="${media}"></call-widget>`;
const CSS = `body { margin: 0; padding: 8px; background: #fff; } call-widget { width: 100%; }`;
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:";

assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
mkdirSync(OUT, { recursive: true });

const server = await startServer({ name: 'screenshots', env: { DEMO: 'on', PORT: process.env.SCREENSHOT_PORT ?? '8961' } });
let browser: Browser | undefined;
const violations: string[] = [];

/** A visitor whose widget is `width` px wide, in `room`. */
async function visitor(name: string, room: string, width: number, media = 'video'): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: width + 16, height: 1000 }, deviceScaleFactor: 1 });
  await context.route('**/shot.html', (route) =>
    route.fulfill({ contentType: 'text/html', headers: { 'content-security-policy': CSP }, body: html(name, room, media) }),
  );
  await context.route('**/shot.css', (route) => route.fulfill({ contentType: 'text/css', body: CSS }));
  const page = await context.newPage();
  page.on('console', (message) => /Content Security Policy/i.test(message.text()) && violations.push(`${name}: ${message.text()}`));
  page.on('pageerror', (error) => violations.push(`${name}: ${error.message}`));
  await page.goto(`${server.url}/shot.html`);
  return page;
}

const run = (page: Page, expression: string) =>
  page.evaluate(`(() => { const w = document.querySelector('call-widget'); const r = w.shadowRoot; return ${expression}; })()`);

/**
 * Waits until `expression`, evaluated in the page with `w` the widget and `r` its shadow root, is truthy. Polled
 * from here: Playwright's waitForFunction evaluates a string with `eval`, which the page's CSP forbids.
 */
async function until(page: Page, expression: string, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await run(page, `!!(${expression})`))) {
    if (Date.now() > end) throw new Error(`${await page.title()}: not ${expression} within ${timeout} ms (state ${String(await run(page, 'w.state'))})`);
    await page.waitForTimeout(100);
  }
}

/** Video elements that show frames, not a black box. */
const playing = (part: string) => `r.querySelector('[part="${part}"]')?.readyState >= 2 && r.querySelector('[part="${part}"]').videoWidth > 0`;
const state = (name: string) => `w.getAttribute('state') === '${name}'`;

async function shot(page: Page, file: string): Promise<void> {
  // The fake microphone's beep is loud enough for "very loud": a moment between beeps, if one comes soon.
  await until(page, `!r.querySelector('[part="meter-hint"]')`, 3000).catch(() => {});
  // Transitions settle.
  await page.waitForTimeout(300);
  const path = `${OUT}/${file}.png`;
  await page.locator('call-widget').screenshot({ path, animations: 'disabled', caret: 'hide' });
  console.log(`${path}: ${(statSync(path).size / 1024).toFixed(1)} KB`);
}

/** Two visitors in one room, Alice calling, Bob answering; resolves once both are connected. */
async function callBetween(alice: Page, bob: Page): Promise<void> {
  await until(alice, state('ready'));
  await run(alice, 'w.call()');
  await until(bob, state('ringing'));
  await run(bob, 'w.accept()');
  await Promise.all([until(alice, state('connected')), until(bob, state('connected'))]);
}

const room = () => `shots-${Math.random().toString(36).slice(2, 10)}`;

try {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });

  // A video call at 640 px: the preview, the call, the peer muted, the peer's camera off.
  const videoRoom = room();
  const alice = await visitor('Alice', videoRoom, WIDE);
  await until(alice, state('waiting'));
  await run(alice, 'w.startPreview()');
  await until(alice, playing('local-video'));
  await alice.locator('call-widget [part="devices-button"]').click();
  await until(alice, `r.querySelector('[part="camera-select"]')?.options.length > 1 && r.querySelector('[part="microphone-select"]')`);
  // The fake microphone beeps once a second: a reading while it does.
  await until(alice, `Number(r.querySelector('[part="meter"]')?.getAttribute('aria-valuenow')) > 30`);
  await shot(alice, 'pre-join');
  await alice.locator('call-widget [part="devices-button"]').click();

  const bob = await visitor('Bob', videoRoom, WIDE);
  await callBetween(alice, bob);
  await until(alice, playing('remote-video'));
  // The quality bars, once the first seconds' warm-up is over.
  await until(alice, `r.querySelector('[part="quality"]')`);
  await shot(alice, 'in-call');
  await run(alice, 'w.debug = true');
  await until(alice, `r.querySelector('[part="debug"]')`);
  await shot(alice, 'debug');
  await run(alice, 'w.debug = false');

  await run(bob, 'w.setMuted(true)');
  await until(alice, `r.querySelector('[part="remote-muted"]')`);
  await shot(alice, 'peer-muted');
  await run(bob, 'w.setMuted(false)');

  await run(bob, 'w.setCameraOff(true)');
  await until(alice, `r.querySelector('[part="remote-avatar"]')`);
  await shot(alice, 'peer-camera-off');
  await run(bob, 'w.setCameraOff(false)');

  // An audio-only call: Bob says `media="audio"`, so neither side sends video.
  const audioRoom = room();
  const carol = await visitor('Carol', audioRoom, WIDE);
  const dave = await visitor('Dave', audioRoom, WIDE, 'audio');
  await callBetween(carol, dave);
  await until(dave, `r.querySelector('[part="remote-avatar"]')`);
  await until(dave, `Number(r.querySelector('[part="meter"]')?.getAttribute('aria-valuenow')) > 30`);
  await shot(dave, 'audio-call');
  // Carol said `video`, but Dave's accept made the call audio-only: her view is checked, not pictured.
  if (process.env.SCREENSHOTS_ALL) await shot(carol, 'audio-call-caller');

  // A video call on a phone's width.
  const phoneRoom = room();
  const erin = await visitor('Erin', phoneRoom, PHONE);
  const frank = await visitor('Frank', phoneRoom, PHONE);
  await callBetween(erin, frank);
  await until(erin, playing('remote-video'));
  await until(erin, playing('local-video'));
  await shot(erin, 'phone');

  assert.deepEqual(violations, [], 'the pages reported errors or CSP violations');
} finally {
  await browser?.close();
  await server.stop();
}
