/** The reference server on a real port, driven by real Socket.IO clients. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallServer } from '../../server/app.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, inbox, joined, nextEvent, request, sleep, testServer } from './helpers.js';

let server: CallServer;
// No grace period here: a dropped connection is announced at once. Resuming has its own tests below.
before(async () => (server = await testServer({ SIGNAL_RATE: '50', SIGNAL_BURST: '100', RESUME_GRACE: '0' })));
after(() => server.close());

const room = () => `room-${Math.random().toString(36).slice(2)}`;
const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 };

describe('joining a room', () => {
  it('gives the first participant an id, no peer, and the impolite role', async () => {
    const { socket, ack } = await joined(server, room());
    assert.equal(ack.ok, true);
    assert.match(ack.id, /^[A-Za-z0-9_-]+$/);
    assert.equal(ack.peer, null);
    assert.equal(ack.polite, false);
    socket.close();
  });

  it('tells the second participant who is there, with the opposite role, and announces it', async () => {
    const name = room();
    const first = await joined(server, name, 'Alice');
    const announced = nextEvent(first.socket, 'peer-joined');
    const second = await joined(server, name, 'Bob');
    assert.deepEqual(second.ack.peer, { id: first.ack.id, displayName: 'Alice' });
    assert.equal(second.ack.polite, true);
    const { resumeToken, ...announcement } = await announced;
    assert.deepEqual(announcement, { peer: { id: second.ack.id, displayName: 'Bob' } });
    // A fresh resume token that names the newcomer, for the participant already there.
    assert.match(resumeToken, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    first.socket.close();
    second.socket.close();
  });

  it('keeps roles opposite when the first participant leaves and a third comes', async () => {
    const name = room();
    const first = await joined(server, name);
    const second = await joined(server, name);
    const left = nextEvent(second.socket, 'peer-left');
    first.socket.close();
    assert.deepEqual(await left, { peerId: first.ack.id, reason: 'disconnected' });
    const third = await joined(server, name);
    assert.equal(third.ack.polite, !second.ack.polite);
    second.socket.close();
    third.socket.close();
  });

  it('refuses a third participant with room-full', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const c = await client(server);
    const ack = await request(c, 'join', { v: PROTOCOL_VERSION, room: name });
    assert.deepEqual(ack.ok, false);
    assert.equal(ack.error.code, 'room-full');
    for (const s of [a.socket, b.socket, c]) s.close();
  });

  it('refuses another protocol version with unsupported-version', async () => {
    const c = await client(server);
    const ack = await request(c, 'join', { v: 99, room: room() });
    assert.equal(ack.error.code, 'unsupported-version');
    assert.match(ack.error.message, /version 1/);
    c.close();
  });

  it('refuses a second join on the same connection', async () => {
    const { socket } = await joined(server, room());
    const ack = await request(socket, 'join', { v: PROTOCOL_VERSION, room: room() });
    assert.equal(ack.error.code, 'already-joined');
    socket.close();
  });

  it('announces peer-left with reason left on an explicit leave', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const left = nextEvent(b.socket, 'peer-left');
    assert.deepEqual(await request(a.socket, 'leave', {}), { ok: true });
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'left' });
    a.socket.close();
    b.socket.close();
  });
});

describe('relaying', () => {
  it('relays each call and negotiation message to the other participant only, with its sender', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const elsewhere = await joined(server, room());
    const strangerInbox = inbox(elsewhere.socket);
    const bInbox = inbox(b.socket);
    const aInbox = inbox(a.socket);
    const messages: Array<[string, object]> = [
      ['invite', { callId: 'c1', media: 'video' }],
      ['accept', { callId: 'c1' }],
      ['description', { callId: 'c1', description: offer }],
      ['candidate', { callId: 'c1', candidate }],
      ['decline', { callId: 'c1', reason: 'busy' }],
      ['cancel', { callId: 'c1', reason: 'no-answer' }],
      ['hangup', { callId: 'c1' }],
    ];
    for (const [event, payload] of messages) assert.deepEqual(await request(a.socket, event, payload), { ok: true });
    await sleep(100);
    assert.deepEqual(bInbox, messages.map(([event, payload]) => [event, { ...payload, from: a.ack.id }]));
    assert.deepEqual(aInbox, [], 'nothing echoes back to the sender');
    assert.deepEqual(strangerInbox, []);
    for (const s of [a.socket, b.socket, elsewhere.socket]) s.close();
  });

  it('drops fields the protocol does not define instead of relaying them', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    const got = nextEvent(b.socket, 'hangup');
    await request(a.socket, 'hangup', { callId: 'c1', from: 'spoofed', script: '<img onerror=alert(1)>' });
    assert.deepEqual(await got, { callId: 'c1', from: a.ack.id });
    a.socket.close();
    b.socket.close();
  });
});

describe('bad input', () => {
  const badPayloads: Array<[string, string, unknown, string]> = [
    ['a join without a room', 'join', { v: PROTOCOL_VERSION }, 'invalid-payload'],
    ['a join with a room name that is not a name', 'join', { v: PROTOCOL_VERSION, room: '../../etc' }, 'invalid-payload'],
    ['a join that is not an object', 'join', 'room-1', 'invalid-payload'],
    ['a join with a null payload', 'join', null, 'invalid-payload'],
    ['an invite with an unknown media', 'invite', { callId: 'c', media: 'smell' }, 'invalid-payload'],
    ['a description of an unknown type', 'description', { callId: 'c', description: { type: 'pranswer', sdp: 'x' } }, 'invalid-payload'],
    ['a candidate with a numeric candidate', 'candidate', { callId: 'c', candidate: { candidate: 42 } }, 'invalid-payload'],
    ['a callId with odd characters', 'hangup', { callId: 'a b' }, 'invalid-payload'],
    ['a quality report with a level of 6', 'quality', { callId: 'c', level: 6, mos: null, audio: null, video: null, reasons: [] }, 'invalid-payload'],
    ['a quality report naming a reason twice', 'quality', { callId: 'c', level: 2, mos: 3, audio: 3, video: null, reasons: ['loss', 'loss'] }, 'invalid-payload'],
    ['a quality report with an unknown reason', 'quality', { callId: 'c', level: 2, mos: 3, audio: 3, video: null, reasons: ['ghosts'] }, 'invalid-payload'],
    ['a quality report with a score above the scale', 'quality', { callId: 'c', level: 5, mos: 9, audio: 4, video: null, reasons: [] }, 'invalid-payload'],
    ['an oversized description', 'description', { callId: 'c', description: { type: 'offer', sdp: 'x'.repeat(100_000) } }, 'payload-too-large'],
    ['an unknown event', 'make-coffee', {}, 'unknown-event'],
    ['an event with two payloads', 'hangup', { callId: 'c' }, 'invalid-payload'],
  ];

  for (const [what, event, payload, code] of badPayloads) {
    it(`answers ${what} with ${code}, relays nothing, and keeps serving`, async () => {
      const name = room();
      const a = await joined(server, name);
      const b = await joined(server, name);
      const bInbox = inbox(b.socket);
      const args = what.includes('two payloads') ? [payload, payload] : [payload];
      const ack = await request(a.socket, event, ...args);
      assert.equal(ack.ok, false, JSON.stringify(ack));
      assert.equal(ack.error.code, code);
      assert.ok(ack.error.message.length > 0);
      // The same connection still works afterwards.
      assert.deepEqual(await request(a.socket, 'hangup', { callId: 'after' }), { ok: true });
      await sleep(50);
      assert.deepEqual(bInbox, [['hangup', { callId: 'after', from: a.ack.id }]]);
      a.socket.close();
      b.socket.close();
    });
  }

  it('refuses signals from a connection that is not in a room', async () => {
    const c = await client(server);
    for (const event of ['invite', 'description', 'candidate', 'hangup', 'leave']) {
      const ack = await request(c, event, { callId: 'c', media: 'video', description: offer, candidate });
      assert.equal(ack.error.code, 'not-in-room', event);
    }
    c.close();
  });

  it('refuses a signal when nobody else is in the room', async () => {
    const { socket } = await joined(server, room());
    const ack = await request(socket, 'invite', { callId: 'c', media: 'video' });
    assert.equal(ack.error.code, 'no-peer');
    socket.close();
  });

  it('answers a message sent without an ack callback with a protocol-error event', async () => {
    const c = await client(server);
    const error = nextEvent(c, 'protocol-error');
    c.emit('description', { nonsense: true });
    assert.deepEqual(await error, { code: 'not-in-room', message: 'Join a room before sending description.', event: 'description' });
    c.close();
  });

  it('rate-limits a flood, answers its first refusal only, relays nothing beyond the limit, and serves again after a pause', async () => {
    const name = room();
    const a = await joined(server, name);
    const b = await joined(server, name);
    let relayed = 0;
    b.socket.on('candidate', () => (relayed += 1));
    const acks = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) =>
        a.socket.timeout(1500).emitWithAck('candidate', { callId: 'flood', candidate: { ...candidate, sdpMid: String(i) } }),
      ),
    );
    const answered = acks.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const accepted = answered.filter((ack) => ack.ok).length;
    // One reply says why; the rest of the flood gets none, so a client that never reads cannot make the server
    // queue a reply per message.
    assert.deepEqual(answered.filter((ack) => !ack.ok).map((ack) => ack.error.code), ['rate-limited']);
    assert.ok(accepted <= 150, `accepted ${accepted} of 400`);
    assert.equal(acks.length - answered.length, 400 - accepted - 1);
    assert.equal(relayed, accepted);
    await sleep(2100); // the bucket (100 at 50/s) is full again
    assert.deepEqual(await request(a.socket, 'hangup', { callId: 'after-flood' }), { ok: true });
    // Other connections were never affected.
    const other = await joined(server, room());
    other.socket.close();
    a.socket.close();
    b.socket.close();
  });

  it('survives a frame above the transport limit by dropping only that connection', async () => {
    const name = room();
    const a = await joined(server, name);
    const disconnected = nextEvent(a.socket, 'disconnect');
    a.socket.emit('description', { callId: 'c', description: { type: 'offer', sdp: 'x'.repeat(400_000) } });
    await disconnected;
    const b = await joined(server, name);
    assert.equal(b.ack.peer, null, 'the dropped connection left the room');
    const health: any = await fetch(`${server.url}/healthz`).then((r) => r.json());
    assert.equal(health.status, 'ok');
    b.socket.close();
  });
});
