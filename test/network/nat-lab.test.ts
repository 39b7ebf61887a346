/**
 * The NAT lab: the real widget in real Chromium on hosts behind real NATs and firewalls (Linux network
 * namespaces and iptables), through the real reference server and real coturn. Each scenario asserts how
 * the call ends and which candidate pair carried it. Needs root; without it the suite is skipped and says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintTurnCredential } from '../../server/turn-credentials.js';
import { INET, labUnavailable, type RouterMode } from './lab.js';
import {
  LabWorld,
  ORIGIN,
  SECRET,
  TURN_URLS,
  call as placeCall,
  close,
  expectVideoDecoding,
  selectedLocalCandidate,
  selectedPairTypes,
  type Routes,
  type WidgetOptions,
} from './lab-world.js';

const unavailable = labUnavailable();
if (unavailable) console.log(`NAT lab skipped: ${unavailable}`);

/** Short-lived credentials for the refresh scenario, from a second server on port 8443. */
const SHORT_TTL_SECONDS = 60;

let world: LabWorld;
const results: Array<{ scenario: string; outcome: string; path: string; seconds: string }> = [];

/** Places a call, records a row of the table, and asserts how both sides ended up. */
async function call(scenario: string, a: [string, WidgetOptions, Routes?], b: [string, WidgetOptions, Routes?], expect: 'connected' | 'failed') {
  const outcome = await placeCall(world, a, b);
  const { ra, rb } = outcome;
  const path = ra.path ? `${ra.path.kind}/${ra.path.protocol} ↔ ${rb.path?.kind}/${rb.path?.protocol}` : '-';
  results.push({ scenario, outcome: `${ra.state}${ra.reason ? ` (${ra.reason})` : ''}`, path, seconds: outcome.seconds.toFixed(1) });
  try {
    assert.equal(ra.state, expect, `Alice ${JSON.stringify(ra)}`);
    assert.equal(rb.state, expect, `Bob ${JSON.stringify(rb)}`);
  } catch (error) {
    await close(outcome.alice, outcome.bob);
    throw error;
  }
  return outcome;
}

describe('NAT lab', { skip: unavailable ?? false }, () => {
  before(async () => {
    world = new LabWorld();
    await world.start({ 8443: SHORT_TTL_SECONDS });
  });

  after(() => {
    world?.teardown();
    if (results.length) {
      console.log('\n| scenario | outcome | path (Alice ↔ Bob) | seconds |\n|---|---|---|---|');
      for (const r of results) console.log(`| ${r.scenario} | ${r.outcome} | ${r.path} | ${r.seconds} |`);
    }
  });

  const routers = (a: RouterMode, b: RouterMode) => {
    world.lab.setRouter(world.lab.ns.routerA, a);
    world.lab.setRouter(world.lab.ns.routerB, b);
  };
  const iceUrl = { 'ice-servers-url': `${ORIGIN}/ice-servers` };

  it('1. symmetric NAT on both sides, STUN only: fails in bounded time, with diagnostics', async () => {
    routers('symmetric', 'symmetric');
    const stunOnly = { 'ice-servers': JSON.stringify([{ urls: `stun:${INET.signaling}:3478` }]), 'connect-timeout': '12' };
    const { alice, bob, ra } = await call('1. symmetric ↔ symmetric, STUN only', [world.lab.ns.clientA, stunOnly], [world.lab.ns.clientB, stunOnly], 'failed');
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
    const { alice, bob, ra } = await call('2. symmetric ↔ symmetric, TURN', [world.lab.ns.clientA, iceUrl], [world.lab.ns.clientB, iceUrl], 'connected');
    assert.equal(ra.path!.kind, 'relay');
    // Behind two symmetric NATs no pair works without a TURN relay at one end or the other. Which end varies:
    // a side may reach the other's relay from its own NAT address (a peer-reflexive local candidate).
    for (const side of [alice, bob]) {
      const pair = await selectedPairTypes(side);
      assert.ok(pair?.local === 'relay' || pair?.remote === 'relay', JSON.stringify(pair));
    }
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
    const { alice, bob, ra } = await call('3. symmetric ↔ symmetric, expired TURN credential', [world.lab.ns.clientA, options, routes], [world.lab.ns.clientB, options, routes], 'failed');
    assert.equal(ra.reason, 'ice-failed');
    assert.ok(ra.diagnostics.errors.some((e: { code: number }) => e.code === 401), JSON.stringify(ra.diagnostics.errors));
    assert.equal(ra.diagnostics.localCandidates.relay, 0);
    await close(alice, bob);
  });

  it('4. one side behind a firewall that lets out only TCP 443: TURN over TCP 443', async () => {
    routers('firewall-443', 'symmetric');
    const { alice, bob, ra } = await call('4. firewall (TCP 443 only) ↔ symmetric', [world.lab.ns.clientA, iceUrl], [world.lab.ns.clientB, iceUrl], 'connected');
    assert.deepEqual({ kind: ra.path!.kind, protocol: ra.path!.protocol }, { kind: 'relay', protocol: 'tcp' });
    const local = await selectedLocalCandidate(alice);
    assert.equal(local?.type, 'relay');
    assert.equal(local?.relayProtocol, 'tcp');
    assert.match(local?.url ?? '', new RegExp(`${INET.turnTcp443.replaceAll('.', '\\.')}:443`));
    await expectVideoDecoding(alice);
    await close(alice, bob);
  });

  it('5. cone NAT to a host on the internet: direct, no relay', async () => {
    routers('cone', 'cone');
    const { alice, bob, ra, rb } = await call('5. cone NAT ↔ public host', [world.lab.ns.clientA, iceUrl], [world.lab.ns.pub, iceUrl], 'connected');
    assert.equal(ra.path!.kind, 'direct');
    assert.equal(rb.path!.kind, 'direct');
    assert.notEqual((await selectedLocalCandidate(alice))?.type, 'relay');
    assert.equal((await selectedLocalCandidate(bob))?.address, INET.pub);
    await expectVideoDecoding(bob);
    await close(alice, bob);
  });

  it('6. ice-transport-policy="relay": relay on both sides', async () => {
    routers('cone', 'cone');
    const relayOnly = { ...iceUrl, 'ice-transport-policy': 'relay' };
    const { alice, bob, ra, rb } = await call('6. relay policy (cone ↔ cone)', [world.lab.ns.clientA, relayOnly], [world.lab.ns.clientB, relayOnly], 'connected');
    assert.deepEqual([ra.path!.local, rb.path!.local], ['relay', 'relay']);
    assert.equal((await selectedLocalCandidate(alice))?.type, 'relay');
    assert.equal((await selectedLocalCandidate(bob))?.type, 'relay');
    await close(alice, bob);
  });

  it('7. a call outliving its TURN credentials refreshes them, and an ICE restart still gets a relay', async () => {
    routers('symmetric', 'symmetric');
    const shortLived = { 'ice-servers-url': `http://${INET.signaling}:8443/ice-servers`, 'ice-transport-policy': 'relay' };
    const { alice, bob } = await call(`7. relay, ${SHORT_TTL_SECONDS} s credentials, restart after expiry`, [world.lab.ns.clientA, shortLived], [world.lab.ns.clientB, shortLived], 'connected');
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
