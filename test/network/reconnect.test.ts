/**
 * Calls survive the network, proven by breaking real links in the NAT lab: cuts of a router's link, a
 * signaling server killed and restarted, a new public address, WebSocket blocked, packet loss, a tab closed.
 * Outcomes are asserted with generous bounds; how fast recovery is belongs to `npm run bench:reconnect`.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { LAN_A, labUnavailable } from './lab.js';
import {
  LabWorld,
  ORIGIN,
  call,
  close,
  events,
  expectVideoDecoding,
  passedThrough,
  report,
  settle,
  widgetState,
  type CallOutcome,
  type Host,
} from './lab-world.js';

const unavailable = labUnavailable();
if (unavailable) console.log(`network recovery tests skipped: ${unavailable}`);

let world: LabWorld;
/** The browsers of the test that runs: closed after it whatever happened, so a failure leaves nothing in the next test's rooms. */
const open = new Set<Host>();
const iceUrl = { 'ice-servers-url': `${ORIGIN}/ice-servers` };
/** No scenario may hang the suite: each has a bound well above its slowest expected run. */
const LIMIT = { timeout: 150_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connected call between client A and client B, both behind symmetric NATs (so through TURN). */
async function connectedCall(options: Record<string, string> = {}): Promise<CallOutcome> {
  world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
  world.lab.setRouter(world.lab.ns.routerB, 'symmetric');
  const outcome = await call(world, [world.lab.ns.clientA, { ...iceUrl, ...options }], [world.lab.ns.clientB, { ...iceUrl, ...options }]);
  open.add(outcome.alice).add(outcome.bob);
  assert.equal(outcome.ra.state, 'connected', JSON.stringify(outcome.ra));
  assert.equal(outcome.rb.state, 'connected', JSON.stringify(outcome.rb));
  return outcome;
}

async function states(h: Host): Promise<string> {
  return (await events(h))
    .filter((e) => e.type === 'call-state-change')
    .map((e) => (e.reason ? `${e.state}(${e.reason})` : e.state))
    .join(' → ');
}

/** Cuts client A's link for `seconds`, and checks both sides go reconnecting and come back with video. */
async function cutAndRecover({ alice, bob }: CallOutcome, seconds: number) {
  world.lab.cut(world.lab.ns.routerA);
  try {
    await Promise.all([widgetState(alice, 'reconnecting', 15_000), widgetState(bob, 'reconnecting', 15_000)]);
    await sleep(seconds * 1000);
  } finally {
    world.lab.restore(world.lab.ns.routerA);
  }
  const [ra, rb] = await Promise.all([settle(alice, ['connected', 'failed'], 30_000), settle(bob, ['connected', 'failed'], 30_000)]);
  assert.equal(ra.state, 'connected', `Alice: ${await states(alice)}`);
  assert.equal(rb.state, 'connected', `Bob: ${await states(bob)}`);
  const story = async () => `Alice: ${JSON.stringify(await events(alice))}\nBob: ${JSON.stringify(await events(bob))}`;
  await expectVideoDecoding(alice, 'Alice after the cut').catch(async (error) => assert.fail(`${error.message}\n${await story()}`));
  await expectVideoDecoding(bob, 'Bob after the cut').catch(async (error) => assert.fail(`${error.message}\n${await story()}`));
  const reconnects = (await events(alice)).filter((e) => e.type === 'call-reconnect');
  return reconnects;
}

describe('calls survive the network', { skip: unavailable ?? false }, () => {
  before(async () => {
    world = new LabWorld();
    await world.start();
  });

  afterEach(async () => {
    await close(...open);
    open.clear();
  });

  after(() => world?.teardown());

  it('1. a 5 s cut of one side\'s link: both sides reconnect, video decodes again', LIMIT, async () => {
    const outcome = await connectedCall();
    const reconnects = await cutAndRecover(outcome, 5);
    assert.ok(reconnects.length >= 1 && reconnects[0].method === 'ice-restart', JSON.stringify(reconnects));
    assert.match(await states(outcome.alice), /connected → reconnecting\(network\) → connected/);
    await close(outcome.alice, outcome.bob);
  });

  it('2. a 20 s cut: same', LIMIT, async () => {
    const outcome = await connectedCall();
    await cutAndRecover(outcome, 20);
    await close(outcome.alice, outcome.bob);
  });

  it('3. a cut longer than the reconnect window: both fail with reason network, nothing left running', LIMIT, async () => {
    const outcome = await connectedCall({ 'reconnect-window': '10' });
    const { alice, bob } = outcome;
    world.lab.cut(world.lab.ns.routerA);
    try {
      const [ra, rb] = await Promise.all([settle(alice, ['failed'], 30_000), settle(bob, ['failed'], 30_000)]);
      assert.deepEqual([ra.state, ra.reason, rb.state, rb.reason], ['failed', 'network', 'failed', 'network']);
      assert.deepEqual([ra.hasPeerConnection, rb.hasPeerConnection], [false, false]);
      const errors = (await events(bob)).filter((e) => e.type === 'call-error' && e.fatal);
      assert.deepEqual(errors.map((e) => e.code), ['network-lost']);
    } finally {
      world.lab.restore(world.lab.ns.routerA);
    }
    await close(alice, bob);
  });

  it('4. the signaling server dies mid-call: media keeps flowing; restarted, the widgets resume and a later cut still recovers', LIMIT, async () => {
    const outcome = await connectedCall();
    const { alice, bob } = outcome;
    await world.killSignaling(443);
    await expectVideoDecoding(alice, 'Alice while signaling is down');
    await expectVideoDecoding(bob, 'Bob while signaling is down');
    await world.startSignaling(443);
    // Socket.IO retries within 5 s; then both rejoin with their resume tokens.
    const deadline = Date.now() + 20_000;
    let health: { rooms: number; connections: number } = { rooms: 0, connections: 0 };
    while (Date.now() < deadline && !(health.rooms === 1 && health.connections === 2)) {
      await sleep(500);
      health = (await alice.page.evaluate(`fetch('${ORIGIN}/healthz').then((r) => r.json())`)) as typeof health;
    }
    assert.deepEqual({ rooms: health.rooms, connections: health.connections }, { rooms: 1, connections: 2 });
    assert.equal((await report(alice)).state, 'connected');
    assert.doesNotMatch(await states(alice), /ended|failed/);
    await cutAndRecover(outcome, 5);
    await close(alice, bob);
  });

  it('5. the signaling server dies while the callee rings: the call still completes after its restart', LIMIT, async () => {
    world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
    world.lab.setRouter(world.lab.ns.routerB, 'symmetric');
    const room = `lab-ringing-${Date.now()}`;
    const alice = await world.host(world.lab.ns.clientA, room, 'Alice', iceUrl);
    const bob = await world.host(world.lab.ns.clientB, room, 'Bob', { ...iceUrl, 'auto-answer': 'off' });
    try {
      await widgetState(alice, 'ready', 20_000);
      await alice.page.evaluate(`document.querySelector('call-widget').call()`);
      await widgetState(bob, 'ringing', 20_000);
      await world.killSignaling(443);
      // Accepted while the server is down: the accept waits for the resume (and so does its promise).
      await bob.page.evaluate(`void document.querySelector('call-widget').accept()`);
      await sleep(1000);
      await world.startSignaling(443);
      const [ra, rb] = await Promise.all([settle(alice, ['connected', 'failed', 'ended'], 40_000), settle(bob, ['connected', 'failed', 'ended'], 40_000)]);
      assert.deepEqual([ra.state, rb.state], ['connected', 'connected'], `Alice: ${await states(alice)} / Bob: ${await states(bob)}`);
      await expectVideoDecoding(alice);
    } finally {
      await close(alice, bob);
    }
  });

  it('6. one side gets a new public address mid-call: recovered', LIMIT, async () => {
    const outcome = await connectedCall();
    world.lab.renumber(world.lab.ns.routerA, LAN_A.wan, '203.0.113.4');
    try {
      // Both notice (the recovery may be quick enough that `reconnecting` lasts less than a poll).
      await Promise.all([passedThrough(outcome.alice, 'reconnecting', 15_000), passedThrough(outcome.bob, 'reconnecting', 15_000)]);
      const [ra2, rb2] = await Promise.all([settle(outcome.alice, ['connected', 'failed'], 30_000), settle(outcome.bob, ['connected', 'failed'], 30_000)]);
      assert.deepEqual([ra2.state, rb2.state], ['connected', 'connected'], `Alice: ${await states(outcome.alice)} / Bob: ${await states(outcome.bob)}`);
      await expectVideoDecoding(outcome.alice);
      await expectVideoDecoding(outcome.bob);
      if (process.env.DEBUG_LAB) console.log(JSON.stringify(await events(outcome.alice)), '\n', JSON.stringify(await events(outcome.bob)));
    } finally {
      world.lab.renumber(world.lab.ns.routerA, '203.0.113.4', LAN_A.wan);
      await close(outcome.alice, outcome.bob);
    }
  });

  it('7. WebSocket blocked on one side: the call is set up over long-polling', LIMIT, async () => {
    world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
    world.lab.blockWebSocket(world.lab.ns.routerA);
    const outcome = await call(world, [world.lab.ns.clientA, iceUrl], [world.lab.ns.clientB, iceUrl]);
    try {
      assert.deepEqual([outcome.ra.state, outcome.rb.state], ['connected', 'connected']);
      // The block is real: a WebSocket of the page's own fails.
      const opened = await outcome.alice.page.evaluate(`new Promise((resolve) => {
        const ws = new WebSocket('ws://${ORIGIN.slice(7)}/socket.io/?EIO=4&transport=websocket');
        ws.onopen = () => resolve(true);
        ws.onerror = () => resolve(false);
        setTimeout(() => resolve(false), 5000);
      })`);
      assert.equal(opened, false, 'WebSocket got through the block');
    } finally {
      world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
      await close(outcome.alice, outcome.bob);
    }
  });

  for (const percent of [10, 20]) {
    it(`8. ${percent}% packet loss on one side: connects and stays connected`, LIMIT, async () => {
      world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
      world.lab.setRouter(world.lab.ns.routerB, 'symmetric');
      world.lab.loss(world.lab.ns.routerA, percent);
      const outcome = await call(world, [world.lab.ns.clientA, iceUrl], [world.lab.ns.clientB, iceUrl]);
      try {
        assert.deepEqual([outcome.ra.state, outcome.rb.state], ['connected', 'connected']);
        await sleep(8000);
        assert.equal((await report(outcome.alice)).state, 'connected', await states(outcome.alice));
        assert.equal((await report(outcome.bob)).state, 'connected', await states(outcome.bob));
        await expectVideoDecoding(outcome.bob, `Bob at ${percent}% loss`);
      } finally {
        world.lab.setRouter(world.lab.ns.routerA, 'symmetric');
        await close(outcome.alice, outcome.bob);
      }
    });
  }

  it('9. closing one tab mid-call: the other side shows waiting / peer-left within two seconds', LIMIT, async () => {
    const { alice, bob } = await connectedCall();
    const closedAt = Date.now();
    // As a user closing the tab does: the page's unload steps run (a killed browser process would skip them).
    await bob.page.close({ runBeforeUnload: true });
    // The call is over and there is nobody to call: straight to `waiting`.
    await widgetState(alice, 'waiting', 5000);
    const elapsed = Date.now() - closedAt;
    assert.equal((await report(alice)).reason, 'peer-left');
    assert.ok(elapsed < 2500, `took ${elapsed} ms`);
    await close(alice, bob);
  });
});
