/** A participant whose connection drops keeps its place for a grace period and can resume as itself. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallServer } from '../../server/app.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, inbox, joined, nextEvent, request, sleep, testServer } from './helpers.js';

let server: CallServer;
before(async () => (server = await testServer({ RESUME_GRACE: '2' })));
after(() => server.close());

const room = () => `resume-${Math.random().toString(36).slice(2)}`;

/** Drops the connection the way a network does (no goodbye), not the way a client that leaves does. */
function drop(socket: Awaited<ReturnType<typeof client>>) {
  (socket.io as unknown as { engine: { close(): void } }).engine.close();
}

describe('resuming after a dropped connection', () => {
  it('comes back as the same participant; the peer hears only that it resumed', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    assert.equal(a.ack.resumed, false);
    assert.match(a.ack.resumeToken, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const bInbox = inbox(b.socket);
    drop(a.socket);
    await sleep(300);
    const again = await client(server);
    const ack = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
    assert.deepEqual(
      { ok: ack.ok, id: ack.id, polite: ack.polite, peer: ack.peer, resumed: ack.resumed },
      { ok: true, id: a.ack.id, polite: a.ack.polite, peer: { id: b.ack.id }, resumed: true },
    );
    await sleep(2500); // past the grace period: no peer-left, because it came back
    assert.deepEqual(bInbox, [['peer-resumed', { peerId: a.ack.id, replaced: false }]]);
    // A resume token is spent by its use: the answer carries the next one.
    assert.notEqual(ack.resumeToken, a.ack.resumeToken);
    // And it is reachable again.
    const got = nextEvent(again, 'hangup');
    await request(b.socket, 'hangup', { callId: 'c' });
    assert.deepEqual(await got, { callId: 'c', from: b.ack.id });
    again.close();
    b.socket.close();
  });

  it('holds messages sent to it while it was away and delivers them in order on resume', async () => {
    const name = room();
    const a = await joined(server, name);
    const announced = nextEvent(a.socket, 'peer-joined', 3000, { raw: true });
    const b = await joined(server, name);
    assert.equal((await announced).n, 1);
    drop(a.socket);
    await sleep(300);
    for (const i of [1, 2, 3]) assert.equal((await request(b.socket, 'candidate', { callId: 'c', candidate: { candidate: `candidate:${i}` } })).ok, true);
    const again = await client(server);
    const received = inbox(again, { raw: true });
    await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, received: 1 });
    await sleep(200);
    assert.deepEqual(
      received.map(([event, payload]) => `${event}:${payload.candidate.candidate}:${payload.n}`),
      ['candidate:candidate:1:2', 'candidate:candidate:2:3', 'candidate:candidate:3:4'],
    );
    again.close();
    b.socket.close();
  });

  it('keeps only the latest quality report for a resume, so a run of them pushes nothing else out', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    drop(a.socket);
    await sleep(300);
    const report = (level: number) => ({ callId: 'c', level, mos: null, audio: null, video: null, reasons: [] });
    assert.equal((await request(b.socket, 'candidate', { callId: 'c', candidate: { candidate: 'candidate:1' } })).ok, true);
    // More reports than the server keeps messages: the candidate before them still comes back.
    for (let i = 0; i < 120; i++) assert.equal((await request(b.socket, 'quality', report(i % 6))).ok, true);
    const again = await client(server);
    const received = inbox(again, { raw: true });
    await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, received: 1 });
    await sleep(200);
    assert.deepEqual(
      received.map(([event, payload]) => `${event}:${payload.candidate?.candidate ?? payload.level}`),
      ['candidate:candidate:1', `quality:${119 % 6}`],
    );
    again.close();
    b.socket.close();
  });

  it('sends again what a connection swallowed: every message after the last one the client says it received', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const seen = inbox(a.socket, { raw: true });
    for (const i of [1, 2, 3]) await request(b.socket, 'candidate', { callId: 'c', candidate: { candidate: `candidate:${i}` } });
    await sleep(100);
    assert.deepEqual(seen.map(([, payload]) => payload.n), [2, 3, 4]);
    // Say the connection died after the first candidate reached the client: the other two were lost in it.
    drop(a.socket);
    await sleep(300);
    const again = await client(server);
    const replayed = inbox(again, { raw: true });
    await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, received: 2 });
    await request(b.socket, 'candidate', { callId: 'c', candidate: { candidate: 'candidate:4' } });
    await sleep(200);
    assert.deepEqual(
      replayed.map(([, payload]) => `${payload.candidate.candidate}:${payload.n}`),
      ['candidate:2:3', 'candidate:3:4', 'candidate:4:5'],
    );
    again.close();
    b.socket.close();
  });

  it('relays a message sent again with a seq it has relayed already only once', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const got = inbox(b.socket);
    const hangup = { callId: 'c', seq: 1 };
    assert.deepEqual(await request(a.socket, 'hangup', hangup), { ok: true });
    assert.deepEqual(await request(a.socket, 'hangup', hangup), { ok: true });
    assert.deepEqual(await request(a.socket, 'hangup', { callId: 'd', seq: 2 }), { ok: true });
    const bad = await request(a.socket, 'hangup', { callId: 'e', seq: 0 });
    assert.equal(bad.error.code, 'invalid-payload');
    await sleep(100);
    // Relayed with the sender's seq: after a restart of the server, only the receiver can tell a repeat.
    assert.deepEqual(got, [['hangup', { callId: 'c', from: a.ack.id, seq: 1 }], ['hangup', { callId: 'd', from: a.ack.id, seq: 2 }]]);
    a.socket.close();
    b.socket.close();
  });

  it('tells the peer it left once the grace period is over, and then the token is worthless', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const left = nextEvent(b.socket, 'peer-left', 4000);
    const droppedAt = Date.now();
    drop(a.socket);
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'disconnected' });
    assert.ok(Date.now() - droppedAt >= 1800, 'not before the grace period');
    const again = await client(server);
    const ack = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
    assert.equal(ack.resumed, false);
    assert.notEqual(ack.id, a.ack.id);
    again.close();
    b.socket.close();
  });

  it('announces a client that leaves on purpose at once', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const left = nextEvent(b.socket, 'peer-left', 1000);
    a.socket.close();
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'disconnected' });
    b.socket.close();
  });

  it('takes over from a connection the server still thinks is open', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const again = await client(server);
    const oldOneClosed = nextEvent(a.socket, 'disconnect');
    const ack = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
    assert.equal(ack.resumed, true);
    assert.equal(await oldOneClosed, 'io server disconnect');
    const got = nextEvent(again, 'hangup');
    await request(b.socket, 'hangup', { callId: 'c' });
    assert.deepEqual(await got, { callId: 'c', from: b.ack.id });
    again.close();
    b.socket.close();
  });

  it('refuses a token for another room, and a malformed one', async () => {
    const a = await joined(server, room());
    const other = await client(server);
    const ack = await request(other, 'join', { v: PROTOCOL_VERSION, room: room(), resume: a.ack.resumeToken });
    assert.equal(ack.resumed, false);
    const bad = await request(await client(server), 'join', { v: PROTOCOL_VERSION, room: room(), resume: 'x' });
    assert.equal(bad.error.code, 'invalid-payload');
    a.socket.close();
    other.close();
  });
});

/** Alice and Bob joined a room on a server that then went away; a new one with the same secret is up. */
async function restartedWithTwo() {
  const env = { RESUME_GRACE: '2', RESUME_SECRET: 'a-fixed-resume-secret' };
  const first = await testServer(env);
  const name = room();
  const a = await joined(first, name);
  const announced = nextEvent(a.socket, 'peer-joined');
  const b = await joined(first, name, 'Bob');
  // Alice's newest token names Bob, so that she can hold his place after the restart.
  a.ack.resumeToken = (await announced).resumeToken;
  await first.close();
  return { a, b, name, second: await testServer(env) };
}

describe('resuming after a restart of the server', () => {
  it('restores both participants from their signed tokens, with their roles; each hears the other is back', async () => {
    const { a, b, name, second } = await restartedWithTwo();
    try {
      const a2 = await client(second);
      const b2 = await client(second);
      const aInbox = inbox(a2);
      const ackA = await request(a2, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
      const ackB = await request(b2, 'join', { v: PROTOCOL_VERSION, room: name, resume: b.ack.resumeToken });
      assert.deepEqual([ackA.resumed, ackA.id, ackA.polite], [true, a.ack.id, a.ack.polite]);
      assert.deepEqual([ackB.resumed, ackB.id, ackB.polite, ackB.peer], [true, b.ack.id, b.ack.polite, { id: a.ack.id }]);
      const got = nextEvent(a2, 'hangup');
      await request(b2, 'hangup', { callId: 'c' });
      assert.deepEqual(await got, { callId: 'c', from: b.ack.id });
      assert.deepEqual(aInbox.filter(([event]) => event !== 'hangup'), [['peer-resumed', { peerId: b.ack.id, replaced: false }]]);
      a2.close();
      b2.close();
    } finally {
      await second.close();
    }
  });

  it('the first to return holds the place of the peer it names: messages wait for the peer, nothing is refused', async () => {
    const { a, b, name, second } = await restartedWithTwo();
    try {
      const b2 = await client(second);
      const ackB = await request(b2, 'join', { v: PROTOCOL_VERSION, room: name, resume: b.ack.resumeToken, peerId: a.ack.id });
      assert.deepEqual([ackB.resumed, ackB.peer], [true, { id: a.ack.id }]);
      // Bob answers while Alice has not returned yet: held, not refused with no-peer.
      assert.deepEqual(await request(b2, 'accept', { callId: 'c' }), { ok: true });
      const a2 = await client(second);
      const aInbox = inbox(a2, { raw: true });
      // Alice had seen 7 messages from the first server: the held accept is numbered after them, not dropped.
      const ackA = await request(a2, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, peerId: b.ack.id, received: 7 });
      assert.deepEqual([ackA.resumed, ackA.id, ackA.polite, ackA.peer], [true, a.ack.id, a.ack.polite, { id: b.ack.id, displayName: 'Bob' }]);
      await sleep(200);
      assert.deepEqual(aInbox, [['accept', { callId: 'c', from: b.ack.id, n: 8 }]]);
      const next = nextEvent(a2, 'hangup', 3000, { raw: true });
      await request(b2, 'hangup', { callId: 'c' });
      assert.equal((await next).n, 9);
      a2.close();
      b2.close();
    } finally {
      await second.close();
    }
  });

  it('numbers held messages after the client\'s own count even when the counts happen to match', async () => {
    // As in a call whose server died while the callee rang: Alice had seen one message (peer-joined), and
    // Bob, back first, answers once. Equal counts must not make Alice take the accept for one she saw.
    const { a, b, name, second } = await restartedWithTwo();
    try {
      const b2 = await client(second);
      await request(b2, 'join', { v: PROTOCOL_VERSION, room: name, resume: b.ack.resumeToken, peerId: a.ack.id, received: 1 });
      assert.deepEqual(await request(b2, 'accept', { callId: 'c', seq: 1 }), { ok: true });
      const a2 = await client(second);
      const aInbox = inbox(a2, { raw: true });
      await request(a2, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, peerId: b.ack.id, received: 1 });
      await sleep(200);
      assert.deepEqual(aInbox, [['accept', { callId: 'c', from: b.ack.id, seq: 1, n: 2 }]]);
      a2.close();
      b2.close();
    } finally {
      await second.close();
    }
  });

  it('a held place ends with the grace period: the one who returned hears peer-left', async () => {
    const env = { RESUME_GRACE: '1', RESUME_SECRET: 'a-fixed-resume-secret' };
    const first = await testServer(env);
    const name = room();
    const a = await joined(first, name);
    const b = await joined(first, name);
    await first.close();
    const second = await testServer(env);
    try {
      const b2 = await client(second);
      const left = nextEvent(b2, 'peer-left');
      await request(b2, 'join', { v: PROTOCOL_VERSION, room: name, resume: b.ack.resumeToken, peerId: a.ack.id });
      assert.deepEqual(await left, { peerId: a.ack.id, reason: 'disconnected' });
      // The place is free again, and Alice's token no longer brings her back.
      const a2 = await client(second);
      const ackA = await request(a2, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
      assert.equal(ackA.resumed, false);
      a2.close();
      b2.close();
    } finally {
      await second.close();
    }
  });

  it('names no place for a peer in a room that has one, or for itself', async () => {
    const env = { RESUME_GRACE: '2', RESUME_SECRET: 'a-fixed-resume-secret' };
    const first = await testServer(env);
    const name = room();
    const a = await joined(first, name);
    await first.close();
    const second = await testServer(env);
    try {
      const a2 = await client(second);
      const ack = await request(a2, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, peerId: a.ack.id });
      assert.deepEqual([ack.resumed, ack.peer], [true, null]);
      const c = await client(second);
      const wrong = await request(c, 'join', { v: PROTOCOL_VERSION, room: name, peerId: 'not an id!' });
      assert.equal(wrong.error.code, 'invalid-payload');
      a2.close();
      c.close();
    } finally {
      await second.close();
    }
  });

  it('refuses a token signed with another secret, or tampered with', async () => {
    const server1 = await testServer({ RESUME_SECRET: 'the-first-resume-secret' });
    const name = room();
    const a = await joined(server1, name);
    await server1.close();
    const server2 = await testServer({ RESUME_SECRET: 'the-other-resume-secret' });
    try {
      const c = await client(server2);
      const ack = await request(c, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
      assert.equal(ack.resumed, false);
      const [body, mac] = a.ack.resumeToken.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), p: true })).toString('base64url');
      const c2 = await client(server2);
      const ack2 = await request(c2, 'join', { v: PROTOCOL_VERSION, room: name, resume: `${forged}.${mac}` });
      assert.equal(ack2.resumed, false);
      c.close();
      c2.close();
    } finally {
      await server2.close();
    }
  });
});
