/**
 * The demo page as `npm start` serves it, under its strict CSP, in real Chromium: with open rooms, and with
 * room auth and `DEMO=on`, where it fetches its tokens from the dev-only `/demo-token`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { startServer } from '../support/servers.mjs';

let browser: Browser;
before(async () => (browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS })));
after(() => browser?.close());

/** A visitor on the demo page; every CSP violation the page reports is collected. */
async function visitor(url: string, violations: string[]): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(
    'document.addEventListener("securitypolicyviolation", (e) => window.__violations = [...(window.__violations ?? []), e.violatedDirective + " " + e.blockedURI])',
  );
  const page = await context.newPage();
  page.on('console', (message) => /Content Security Policy/i.test(message.text()) && violations.push(message.text()));
  await page.goto(url);
  return page;
}

async function callBetweenTwo(serverUrl: string) {
  const violations: string[] = [];
  const room = `demo-${Math.random().toString(36).slice(2, 10)}`;
  const alice = await visitor(`${serverUrl}/?room=${room}&name=Alice`, violations);
  await alice.locator('call-widget[state="waiting"]').waitFor({ timeout: 20_000 });
  const bob = await visitor(`${serverUrl}/?room=${room}&name=Bob`, violations);
  await bob.locator('call-widget[state="ready"]').waitFor({ timeout: 20_000 });
  await alice.evaluate('document.querySelector("call-widget").call()');
  await bob.locator('call-widget[state="ringing"]').waitFor({ timeout: 20_000 });
  await bob.evaluate('document.querySelector("call-widget").accept()');
  await Promise.all([alice, bob].map((p) => p.locator('call-widget[state="connected"]').waitFor({ timeout: 20_000 })));
  for (const p of [alice, bob]) violations.push(...((await p.evaluate('window.__violations ?? []')) as string[]));
  assert.deepEqual(violations, []);
  await Promise.all([alice.context().close(), bob.context().close()]);
}

describe('the demo page', () => {
  it('connects a call with open rooms, with no CSP violation', async () => {
    const server = await startServer({ name: 'demo-open' });
    try {
      await callBetweenTwo(server.url);
    } finally {
      await server.stop();
    }
  });

  it('connects a call with room auth and DEMO=on, on tokens from /demo-token', async () => {
    const server = await startServer({ name: 'demo-auth', env: { ROOM_TOKEN_SECRET: 'demo-page-test-room-token-secret-012345', DEMO: 'on' } });
    try {
      await callBetweenTwo(server.url);
    } finally {
      await server.stop();
    }
  });
});
