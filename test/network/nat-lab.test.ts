/**
 * The NAT lab: the real widget in real Chromium on hosts behind real NATs and firewalls (Linux network
 * namespaces and iptables), through the real reference server and real coturn. Each scenario asserts how
 * the call ends and which candidate pair carried it. Needs root; without it the suite is skipped and says why.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mintTurnCredential } from '../../server/turn-credentials.js';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { startServer } from '../support/servers.mjs';
import { INET, NatLab, labUnavailable, type RouterMode } from './lab.js';

const unavailable = labUnavailable();
if (unavailable) console.log(`NAT lab skipped: ${unavailable}`);

const SECRET = 'nat-lab-shared-secret';
const ORIGIN = `http://${INET.signaling}:443`;
const TURN_URLS = [
  `turn:${INET.signaling}:3478?transport=udp`,
  `turn:${INET.signaling}:3478?transport=tcp`,
  `turn:${INET.turnTcp443}:443?transport=tcp`,
];
/** Short-lived credentials for the refresh scenario, from a second server on port 8443. */
const SHORT_TTL_SECONDS = 60;

let lab: NatLab;
const results: Array<{ scenario: string; outcome: string; path: string; seconds: string }> = [];

interface Host {
  browser: Browser;
  page: Page;
}

interface WidgetOptions {
  'ice-servers-url'?: string;
  'ice-servers'?: string;
  'ice-transport-policy'?: string;
  'connect-timeout'?: string;
}

/** Opens the widget in Chromium inside `namespace`; the page comes from the lab's signaling origin. */
async function host(namespace: string, room: string, name: string, options: WidgetOptions, routes: Record<string, () => object> = {}): Promise<Host> {
  const browser = await chromium.launch({
    executablePath: lab.chromiumIn(namespace, chromiumPath()),
    args: [
      ...CHROMIUM_ARGS,
      // Camera access over plain HTTP on a non-local address: there is no CA in the lab to serve HTTPS.
      `--unsafely-treat-insecure-origin-as-secure=${ORIGIN}`,
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
    timeout: 30_000,
  });
  const page = await browser.newPage();
  const attrs = Object.entries({ 'signaling-url': ORIGIN, room, 'display-name': name, 'auto-answer': '', ...options })
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  await page.route(`${ORIGIN}/lab.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><script type="module" src="${ORIGIN}/call-widget.js"></script><call-widget ${attrs}></call-widget>`,
    }),
  );
  for (const [path, body] of Object.entries(routes)) {
    await page.route(`${ORIGIN}${path}`, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(body()) }));
  }
  await page.goto(`${ORIGIN}/lab.html`, { timeout: 20_000 });
  return { browser, page };
}

const widgetState = (h: Host, state: string, timeout: number) =>
  h.page.locator(`call-widget[state="${state}"]`).waitFor({ state: 'attached', timeout });

/** Waits for one of `states`; returns which, with the widget's path and diagnostics. */
async function settle(h: Host, states: string[], timeout: number) {
  await Promise.any(states.map((s) => widgetState(h, s, timeout)));
  return h.page.evaluate(`(() => {
    const el = document.querySelector('call-widget');
    return { state: el.state, reason: el.reason ?? null, path: el.path, diagnostics: el.diagnostics };
  })()`) as Promise<{ state: string; reason: string | null; path: any; diagnostics: any }>;
}

/** The selected pair's local candidate, straight from getStats (not through the widget's own reading). */
const selectedLocalCandidate = (h: Host) =>
  h.page.evaluate(`(async () => {
    const pc = document.querySelector('call-widget').peerConnection;
    const stats = await pc.getStats();
    let pair;
    stats.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
    const local = pair && stats.get(pair.localCandidateId);
    return local ? { id: local.id, type: local.candidateType, relayProtocol: local.relayProtocol ?? null, url: local.url ?? null, address: local.address } : null;
  })()`) as Promise<{ id: string; type: string; relayProtocol: string | null; url: string | null; address: string } | null>;

const framesDecoded = (h: Host) =>
  h.page.evaluate(`(async () => {
    const stats = await document.querySelector('call-widget').peerConnection.getStats();
    let frames = 0;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded ?? 0; });
    return frames;
  })()`) as Promise<number>;

async function expectVideoDecoding(h: Host) {
  const before = await framesDecoded(h);
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok((await framesDecoded(h)) > before + 5, 'remote video frames are being decoded');
}

/** Two hosts join one room; the first calls; the second answers by itself. */
async function call(scenario: string, a: [string, WidgetOptions, Record<string, () => object>?], b: [string, WidgetOptions, Record<string, () => object>?], expect: 'connected' | 'failed', timeout = 40_000) {
  const room = `lab-${results.length}-${Date.now()}`;
  const alice = await host(a[0], room, 'Alice', a[1], a[2]);
  const bob = await host(b[0], room, 'Bob', b[1], b[2]);
  try {
    await widgetState(alice, 'ready', 20_000);
    const started = Date.now();
    await alice.page.evaluate(`document.querySelector('call-widget').call()`);
    const [ra, rb] = await Promise.all([settle(alice, ['connected', 'failed'], timeout), settle(bob, ['connected', 'failed'], timeout)]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const path = ra.path ? `${ra.path.kind}/${ra.path.protocol} ↔ ${rb.path?.kind}/${rb.path?.protocol}` : '-';
    results.push({ scenario, outcome: `${ra.state}${ra.reason ? ` (${ra.reason})` : ''}`, path, seconds });
    assert.equal(ra.state, expect, `Alice ${JSON.stringify(ra)}`);
    assert.equal(rb.state, expect, `Bob ${JSON.stringify(rb)}`);
    return { alice, bob, ra, rb };
  } catch (error) {
    await Promise.all([alice.browser.close(), bob.browser.close()]);
    throw error;
  }
}

async function close(...hosts: Host[]) {
  await Promise.all(hosts.map((h) => h.browser.close()));
}

describe('NAT lab', { skip: unavailable ?? false }, () => {
  before(async () => {
    assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
    NatLab.removeStale();
    lab = new NatLab();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (lab.teardown(), process.exit(130)));
    process.once('exit', () => lab.teardown());
    lab.build();
    const turn = (ip: string, port: number, extra: string[], relayPorts: [number, number]) =>
      lab.spawn(lab.ns.inet, 'turnserver', [
        '--listening-ip', ip, '--listening-port', String(port), '--relay-ip', ip,
        '--min-port', String(relayPorts[0]), '--max-port', String(relayPorts[1]),
        '--use-auth-secret', '--static-auth-secret', SECRET, '--realm', 'lab.example',
        '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--no-multicast-peers',
        // Short allocations make the browser refresh them every ~10 s, so scenario 7 sees refreshes made
        // after the first credentials expired (coturn's default of 10 minutes would need a 10-minute test).
        '--max-allocate-lifetime', '20',
        '--log-file', `${lab.dir}/turn-${port}.log`, '--simple-log',
        '--pidfile', `${lab.dir}/turn-${port}.pid`, '--userdb', `${lab.dir}/turn-${port}.db`,
        ...extra,
      ]);
    turn(INET.signaling, 3478, [], [49152, 50151]);
    // The firewall scenario's way out: TURN over TCP on 443, on its own address (.10:443 is signaling).
    turn(INET.turnTcp443, 443, ['--no-udp'], [50152, 51151]);
    const serverEnv = {
      HOST: INET.signaling,
      ALLOWED_ORIGINS: ORIGIN,
      ICE_SERVERS: JSON.stringify([{ urls: `stun:${INET.signaling}:3478` }]),
      TURN_URLS: TURN_URLS.join(','),
      TURN_SECRET: SECRET,
    };
    await Promise.all([
      startServer({ name: 'lab-signaling', netns: lab.ns.inet, env: { ...serverEnv, PORT: '443', TURN_TTL: '600' } }),
      startServer({ name: 'lab-short-ttl', netns: lab.ns.inet, env: { ...serverEnv, PORT: '8443', TURN_TTL: String(SHORT_TTL_SECONDS) } }),
      lab.waitForListener(lab.ns.inet, 3478, 'udp'),
      lab.waitForListener(lab.ns.inet, 443),
    ]);
  });

  after(() => {
    lab?.teardown();
    if (results.length) {
      console.log('\n| scenario | outcome | path (Alice ↔ Bob) | seconds |\n|---|---|---|---|');
      for (const r of results) console.log(`| ${r.scenario} | ${r.outcome} | ${r.path} | ${r.seconds} |`);
    }
  });

  const routers = (a: RouterMode, b: RouterMode) => {
    lab.setRouter(lab.ns.routerA, a);
    lab.setRouter(lab.ns.routerB, b);
  };
  const iceUrl = { 'ice-servers-url': `${ORIGIN}/ice-servers` };

  it('1. symmetric NAT on both sides, STUN only: fails in bounded time, with diagnostics', async () => {
    routers('symmetric', 'symmetric');
    const stunOnly = { 'ice-servers': JSON.stringify([{ urls: `stun:${INET.signaling}:3478` }]), 'connect-timeout': '12' };
    const { alice, bob, ra } = await call('1. symmetric ↔ symmetric, STUN only', [lab.ns.clientA, stunOnly], [lab.ns.clientB, stunOnly], 'failed');
    assert.equal(ra.reason, 'ice-failed');
    // STUN worked (each side learned its public address) and still no pair could connect.
    assert.ok(ra.diagnostics.localCandidates.srflx > 0, JSON.stringify(ra.diagnostics));
    assert.ok(ra.diagnostics.remoteCandidates.srflx > 0, JSON.stringify(ra.diagnostics));
    assert.equal(ra.diagnostics.turnServers, 0);
    assert.ok(!ra.diagnostics.pairs.some((p: { state: string }) => p.state === 'succeeded'), JSON.stringify(ra.diagnostics.pairs));
    await close(alice, bob);
  });

  it('2. symmetric NAT on both sides, TURN from ice-servers-url: relayed, video decoding', async () => {
    routers('symmetric', 'symmetric');
    const { alice, bob, ra } = await call('2. symmetric ↔ symmetric, TURN', [lab.ns.clientA, iceUrl], [lab.ns.clientB, iceUrl], 'connected');
    assert.equal(ra.path.kind, 'relay');
    const local = await selectedLocalCandidate(alice);
    const remote = await selectedLocalCandidate(bob);
    assert.ok(local?.type === 'relay' || remote?.type === 'relay', `${JSON.stringify(local)} ${JSON.stringify(remote)}`);
    await expectVideoDecoding(alice);
    await expectVideoDecoding(bob);
    await close(alice, bob);
  });

  it('3. as 2 with an expired credential: fails, and the diagnostics show TURN refusing it (401)', async () => {
    routers('symmetric', 'symmetric');
    const expired = () => {
      const { username, credential } = mintTurnCredential(SECRET, 'expired', -3600);
      return { iceServers: [{ urls: TURN_URLS.slice(0, 2), username, credential }], ttl: 600 };
    };
    const options = { 'ice-servers-url': `${ORIGIN}/expired-ice-servers`, 'connect-timeout': '12' };
    const routes = { '/expired-ice-servers': expired };
    const { alice, bob, ra } = await call('3. symmetric ↔ symmetric, expired TURN credential', [lab.ns.clientA, options, routes], [lab.ns.clientB, options, routes], 'failed');
    assert.equal(ra.reason, 'ice-failed');
    assert.ok(ra.diagnostics.errors.some((e: { code: number }) => e.code === 401), JSON.stringify(ra.diagnostics.errors));
    assert.equal(ra.diagnostics.localCandidates.relay, 0);
    await close(alice, bob);
  });

  it('4. one side behind a firewall that lets out only TCP 443: TURN over TCP 443', async () => {
    routers('firewall-443', 'symmetric');
    const { alice, bob, ra } = await call('4. firewall (TCP 443 only) ↔ symmetric', [lab.ns.clientA, iceUrl], [lab.ns.clientB, iceUrl], 'connected');
    assert.deepEqual({ kind: ra.path.kind, protocol: ra.path.protocol }, { kind: 'relay', protocol: 'tcp' });
    const local = await selectedLocalCandidate(alice);
    assert.equal(local?.type, 'relay');
    assert.equal(local?.relayProtocol, 'tcp');
    assert.match(local?.url ?? '', new RegExp(`${INET.turnTcp443.replaceAll('.', '\\.')}:443`));
    await expectVideoDecoding(alice);
    await close(alice, bob);
  });

  it('5. cone NAT to a host on the internet: direct, no relay', async () => {
    routers('cone', 'cone');
    const { alice, bob, ra, rb } = await call('5. cone NAT ↔ public host', [lab.ns.clientA, iceUrl], [lab.ns.pub, iceUrl], 'connected');
    assert.equal(ra.path.kind, 'direct');
    assert.equal(rb.path.kind, 'direct');
    assert.notEqual((await selectedLocalCandidate(alice))?.type, 'relay');
    assert.equal((await selectedLocalCandidate(bob))?.address, INET.pub);
    await expectVideoDecoding(bob);
    await close(alice, bob);
  });

  it('6. ice-transport-policy="relay": relay on both sides', async () => {
    routers('cone', 'cone');
    const relayOnly = { ...iceUrl, 'ice-transport-policy': 'relay' };
    const { alice, bob, ra, rb } = await call('6. relay policy (cone ↔ cone)', [lab.ns.clientA, relayOnly], [lab.ns.clientB, relayOnly], 'connected');
    assert.deepEqual([ra.path.local, rb.path.local], ['relay', 'relay']);
    assert.equal((await selectedLocalCandidate(alice))?.type, 'relay');
    assert.equal((await selectedLocalCandidate(bob))?.type, 'relay');
    await close(alice, bob);
  });

  it('7. a call outliving its TURN credentials refreshes them, and an ICE restart still gets a relay', async () => {
    routers('symmetric', 'symmetric');
    const shortLived = { 'ice-servers-url': `http://${INET.signaling}:8443/ice-servers`, 'ice-transport-policy': 'relay' };
    const { alice, bob } = await call(`7. relay, ${SHORT_TTL_SECONDS} s credentials, restart after expiry`, [lab.ns.clientA, shortLived], [lab.ns.clientB, shortLived], 'connected');
    const username = () => alice.page.evaluate(`document.querySelector('call-widget').peerConnection.getConfiguration().iceServers.find((s) => s.username).username`) as Promise<string>;
    const first = await username();
    const firstCandidate = await selectedLocalCandidate(alice);
    // Past the first credentials' expiry (the username starts with it).
    const expiry = Number(first.split(':')[0]) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 2000));
    const second = await username();
    assert.notEqual(second, first, 'fresh credentials were applied before the first ones expired');
    // The allocation made with the first credentials has been refreshed since they expired: media still flows.
    await expectVideoDecoding(bob);
    assert.equal(await alice.page.locator('call-widget').getAttribute('state'), 'connected');
    assert.ok(Number(second.split(':')[0]) * 1000 > Date.now(), 'the credentials in use are valid');
    await alice.page.evaluate(`document.querySelector('call-widget').peerConnection.restartIce()`);
    const deadline = Date.now() + 20_000;
    let after = firstCandidate;
    while (Date.now() < deadline && (after?.id === firstCandidate?.id || after === null)) {
      await new Promise((r) => setTimeout(r, 250));
      after = await selectedLocalCandidate(alice);
    }
    assert.notEqual(after?.id, firstCandidate?.id, 'the restart selected a new candidate pair');
    assert.equal(after?.type, 'relay', 'on a new relay allocation');
    assert.equal(await alice.page.locator('call-widget').getAttribute('state'), 'connected');
    await expectVideoDecoding(bob);
    await close(alice, bob);
  });
});
