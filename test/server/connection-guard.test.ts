/** The Engine.IO-level bounds of server/connection-guard.ts, against a real server, with hand-made packets. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type WebSocket from 'ws';
import type { CallServer } from '../../server/app.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { closed, pollingSession, rawHttp, rawWebSocket } from '../support/raw-engine-io.js';
import { client, joined, request, testServer } from './helpers.js';

/** Counts the namespace sockets that reached `connection`. */
function countConnections(server: CallServer) {
  let count = 0;
  server.io.on('connection', () => count++);
  return () => count;
}

async function withServer(env: Record<string, string>, body: (server: CallServer) => Promise<void>) {
  const server = await testServer(env);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe('one namespace connection per Engine.IO connection', () => {
  it('closes a long-polling session on its second CONNECT, even among 80,000 in one POST', () =>
    withServer({}, async (server) => {
      const connections = countConnections(server);
      const session = await pollingSession(server.url);
      const engineSocket = (server.io.engine as unknown as { clients: Record<string, import('node:events').EventEmitter> }).clients[session.sid];
      const gone = once(engineSocket, 'close');
      const answer = await session.post(Array(80_000).fill('40'));
      assert.equal(answer.status, 200);
      await gone;
      // Let Socket.IO finish what the first packets started (its middlewares run on later ticks).
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(connections() <= 1, `${connections()} namespace sockets`);
      assert.equal(server.io.of('/').sockets.size, 0);
    }));

  it('closes a WebSocket on its second CONNECT frame, however fast they come', () =>
    withServer({}, async (server) => {
      const connections = countConnections(server);
      const socket = await rawWebSocket(server.url);
      for (let i = 0; i < 20_000; i++) socket.send('40');
      await closed(socket);
      assert.ok(connections() <= 1, `${connections()} namespace sockets`);
    }));

  it('still serves a client that connects once', () =>
    withServer({}, async (server) => {
      const { socket, ack } = await joined(server, 'guard-ok');
      assert.equal(ack.ok, true);
      socket.close();
    }));
});

describe('binary packets', () => {
  for (const [what, send] of [
    ['a binary WebSocket frame', (socket: WebSocket) => socket.send(Buffer.from('42["join",{}]'))],
    ['a Socket.IO BINARY_EVENT announcing attachments', (socket: WebSocket) => socket.send('45999-["join",{"_placeholder":true,"num":0}]')],
  ] as const) {
    it(`are refused with a protocol error and the connection closed: ${what}`, () =>
      withServer({}, async (server) => {
        const socket = await rawWebSocket(server.url);
        socket.send('40');
        await once(socket, 'message'); // the namespace's CONNECT answer
        const frames: string[] = [];
        socket.on('message', (data) => frames.push((data as Buffer).toString()));
        send(socket);
        await closed(socket);
        // An Engine.IO message ('4') carrying a Socket.IO event ('42').
        assert.ok(frames.some((frame) => frame.startsWith('442["protocol-error"') && frame.includes('invalid-payload')), frames.join('\n'));
      }));
  }
});

describe('per address', () => {
  it('refuses connections above MAX_CONNECTIONS_PER_ADDRESS, and takes them again once some close', () =>
    withServer({ MAX_CONNECTIONS_PER_ADDRESS: '3' }, async (server) => {
      const sockets = await Promise.all(Array.from({ length: 3 }, () => rawWebSocket(server.url, '127.0.0.7')));
      await assert.rejects(rawWebSocket(server.url, '127.0.0.7'));
      const refused = await rawHttp(`${server.url}/socket.io/?EIO=4&transport=polling`, { localAddress: '127.0.0.7' });
      assert.equal(refused.status, 403);
      assert.match(refused.body, /too many connections from this address/);
      // Another address is not affected.
      (await rawWebSocket(server.url, '127.0.0.8')).terminate();
      sockets[0].terminate();
      await closed(sockets[0]);
      const deadline = Date.now() + 5000;
      // The server hears of the close a moment after the client: bounded wait for the count to come down.
      let again: WebSocket | null = null;
      while (!again && Date.now() < deadline) again = await rawWebSocket(server.url, '127.0.0.7').catch(() => null);
      assert.ok(again, 'a place came free');
      for (const socket of [...sockets, again]) socket.terminate();
    }));

  it('gives back the place of a handshake that never became a session', () =>
    withServer({ MAX_CONNECTIONS_PER_ADDRESS: '2' }, async (server) => {
      // Engine.IO v3 is refused after allowRequest said yes: the count must not stay taken.
      for (let i = 0; i < 5; i++) {
        const answer = await rawHttp(`${server.url}/socket.io/?EIO=3&transport=polling`, { localAddress: '127.0.0.9' });
        assert.equal(answer.status, 400);
      }
      const ok = await rawHttp(`${server.url}/socket.io/?EIO=4&transport=polling`, { localAddress: '127.0.0.9' });
      assert.equal(ok.status, 200);
    }));

  it('refuses handshakes faster than HANDSHAKE_RATE beyond the burst', () =>
    withServer({ HANDSHAKE_RATE: '1', HANDSHAKE_BURST: '3' }, async (server) => {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await rawHttp(`${server.url}/socket.io/?EIO=4&transport=polling`, { localAddress: '127.0.0.10' }));
      assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200, 403, 403]);
      assert.match(answers[3].body, /slow down/);
    }));
});

describe('a client that does not read', () => {
  it('is closed once what waits for it exceeds MAX_QUEUED_BYTES; the server stays well', () =>
    withServer({ MAX_QUEUED_BYTES: '262144', SIGNAL_RATE: '1000', SIGNAL_BURST: '1000', RESUME_GRACE: '0' }, async (server) => {
      const room = 'guard-slow-reader';
      // The reader that stops reading: a bare WebSocket that joins, then never reads its TCP socket again.
      const slow = await rawWebSocket(server.url);
      slow.send('40');
      await once(slow, 'message');
      slow.send(`420${JSON.stringify(['join', { v: PROTOCOL_VERSION, room }])}`);
      await once(slow, 'message'); // the join's ack
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();
      const sender = await client(server);
      assert.equal((await request(sender, 'join', { v: PROTOCOL_VERSION, room })).ok, true);
      const serverSide = [...server.io.of('/').sockets.values()].find((socket) => socket.id !== sender.id)!;
      const cut = once(serverSide, 'disconnect');
      const sdp = `v=0\r\n${'a=x\r\n'.repeat(6_000)}`; // ~54 KB as JSON
      let sent = 0;
      // Bounded: well past what the kernel's buffers and the limit hold together.
      while (serverSide.connected && sent < 400) {
        const ack = await request(sender, 'description', { callId: 'c', description: { type: 'offer', sdp } });
        if (!ack.ok) break;
        sent++;
      }
      const [reason] = await cut;
      assert.equal(reason, 'forced close');
      assert.ok(sent < 400, `still connected after ${sent} messages`);
      sender.close();
      slow.terminate();
    }));
});
