/** What one client can make the signaling server hold or do, through a real server: each bound in turn. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_KEPT_BYTES } from '../../server/signaling.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, inbox, joined, nextEvent, request, sleep, testServer } from './helpers.js';

const room = () => `abuse-${Math.random().toString(36).slice(2)}`;
const drop = (socket: Awaited<ReturnType<typeof client>>) => (socket.io as unknown as { engine: { close(): void } }).engine.close();

describe('resuming, as an attacker would', () => {
  it('tells the peer when a resume displaced a connection that was still open', async () => {
    const server = await testServer({ RESUME_GRACE: '5' });
    try {
      const name = room();
      const a = await joined(server, name);
      const b = await joined(server, name);
      const told = nextEvent(b.socket, 'peer-resumed');
      const thief = await client(server);
      const ack = await request(thief, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
      assert.equal(ack.resumed, true);
      assert.deepEqual(await told, { peerId: a.ack.id, replaced: true });
      // And the token it used is spent: the same token cannot do it again.
      const again = await client(server);
      const second = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken });
      assert.equal(second.resumed === true, false);
      for (const socket of [thief, again, b.socket]) socket.close();
    } finally {
      await server.close();
    }
  });

  it('holds no place for a peer the client makes up after a restart', async () => {
    const env = { RESUME_GRACE: '2', RESUME_SECRET: 'a-fixed-resume-secret' };
    const first = await testServer(env);
    const name = room();
    const alone = await joined(first, name);
    await first.close();
    const second = await testServer(env);
    try {
      const socket = await client(second);
      const ack = await request(socket, 'join', { v: PROTOCOL_VERSION, room: name, resume: alone.ack.resumeToken, peerId: 'made-up-peer' });
      assert.deepEqual([ack.resumed, ack.peer], [true, null]);
      // The room has one place taken, not two: a newcomer gets in.
      const newcomer = await joined(second, name);
      assert.equal(newcomer.ack.peer.id, alone.ack.id);
      socket.close();
      newcomer.socket.close();
    } finally {
      await second.close();
    }
  });

  it('limits resumes per participant', async () => {
    const server = await testServer({ RESUME_GRACE: '5' });
    try {
      const name = room();
      const a = await joined(server, name);
      let token = a.ack.resumeToken;
      const codes: string[] = [];
      const sockets = [a.socket];
      for (let i = 0; i < 10; i++) {
        const socket = await client(server);
        sockets.push(socket);
        const ack = await request(socket, 'join', { v: PROTOCOL_VERSION, room: name, resume: token });
        if (ack.ok && ack.resumed) token = ack.resumeToken;
        codes.push(ack.ok ? (ack.resumed ? 'resumed' : 'new') : ack.error.code);
        if (!ack.ok) break;
      }
      assert.ok(codes.includes('rate-limited'), codes.join(' '));
      assert.ok(codes.filter((code) => code === 'resumed').length <= 6, codes.join(' '));
      for (const socket of sockets) socket.close();
    } finally {
      await server.close();
    }
  });

  it('keeps a bounded amount for a participant that is away, and replays no more than that', async () => {
    const server = await testServer({ RESUME_GRACE: '10', SIGNAL_RATE: '1000', SIGNAL_BURST: '1000', ADDRESS_SIGNAL_BURST: '10000' });
    try {
      const name = room();
      const a = await joined(server, name);
      const b = await joined(server, name);
      drop(a.socket);
      const sdp = `v=0\r\n${'a=x\r\n'.repeat(6_000)}`; // ~54 KB as JSON, near the largest a payload may be
      for (let i = 0; i < 40; i++) {
        assert.deepEqual(await request(b.socket, 'description', { callId: 'c', description: { type: 'offer', sdp } }), { ok: true });
      }
      const again = await client(server);
      const replayed = inbox(again, { raw: true });
      const ack = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: a.ack.resumeToken, received: 1 });
      assert.equal(ack.resumed, true);
      await sleep(300);
      const bytes = replayed.reduce((sum, [, payload]) => sum + JSON.stringify(payload).length, 0);
      assert.ok(replayed.length > 0 && bytes <= MAX_KEPT_BYTES + 1024, `${replayed.length} messages, ${bytes} bytes replayed`);
      // The newest were kept, the oldest let go.
      assert.equal(replayed.at(-1)![1].n, 41); // peer-joined was 1
      again.close();
      b.socket.close();
    } finally {
      await server.close();
    }
  });
});

describe('rates per address', () => {
  it('holds many connections of one address to the address allowance together', async () => {
    const server = await testServer({ SIGNAL_RATE: '1000', SIGNAL_BURST: '1000', ADDRESS_SIGNAL_RATE: '1', ADDRESS_SIGNAL_BURST: '20' });
    try {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => client(server)));
      const answers = await Promise.allSettled(
        sockets.flatMap((socket) => Array.from({ length: 10 }, () => socket.timeout(1000).emitWithAck('leave', {}))),
      );
      // Each connection alone is far under its own limit; together they exceed the address's 20.
      const served = answers.filter((answer) => answer.status === 'fulfilled' && answer.value.error?.code === 'not-in-room').length;
      assert.ok(served >= 18 && served <= 22, `served ${served} of 50`);
      for (const socket of sockets) socket.close();
    } finally {
      await server.close();
    }
  });
});
