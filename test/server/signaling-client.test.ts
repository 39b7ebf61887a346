/**
 * The widget's signaling client against the real server, with the link cut at the worst moment: a message
 * in flight. Whether the server got it or not, the peer gets it exactly once and the sender's promise
 * settles. (The client is plain TypeScript over socket.io-client, so it runs in Node as it does in a page.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'socket.io';
import type { CallServer } from '../../server/app.js';
import { SignalingClient, type ServerMessage } from '../../src/core/signaling-client.js';
import { inbox, joined, sleep, testServer } from './helpers.js';

let server: CallServer;
before(async () => (server = await testServer({ RESUME_GRACE: '10' })));
after(() => server.close());

/** What Socket.IO's server hands a connection for each incoming event (`onAny` listeners see it first). */
interface EventPacket {
  data: [event: string, ...args: unknown[]];
  id?: number;
}

/**
 * Runs `sabotage` on the first event named `event` that any connection receives from now on, before the
 * server sees it. `deliver` hands it on; without it, the server never gets the message.
 */
function onFirst(event: string, sabotage: (socket: Socket, packet: EventPacket, deliver: (packet: EventPacket) => void) => void) {
  let done = false;
  const listener = (socket: Socket) => {
    const target = socket as unknown as { onevent(packet: EventPacket): void };
    const original = target.onevent.bind(socket);
    target.onevent = (packet) => {
      if (done || packet.data[0] !== event) return original(packet);
      done = true;
      server.io.off('connection', listener);
      sabotage(socket, packet, original);
    };
  };
  for (const socket of server.io.sockets.sockets.values()) listener(socket);
  server.io.on('connection', listener);
}

/** A widget-side client joined to `room`, recording what it receives and when it resumes. */
async function widgetClient(room: string) {
  const messages: ServerMessage[] = [];
  let resumed = 0;
  const client: SignalingClient = new SignalingClient({
    url: server.url,
    onMessage: (message) => messages.push(message),
    onInvalid: (event, error) => assert.fail(`invalid ${event}: ${error.message}`),
    onDisconnect: () => {},
    onReconnect: () => {
      // Resume tokens are single use: each resume answers with the next.
      void client.join(room, undefined, joinResult.resumeToken).then((result) => {
        joinResult.resumeToken = result.resumeToken;
        resumed++;
      });
    },
  });
  await client.connect();
  const joinResult = await client.join(room);
  return { client, messages, joinResult, resumed: () => resumed };
}

const room = () => `client-${Math.random().toString(36).slice(2)}`;

describe('signaling client: nothing lost when the link dies mid-message', () => {
  it('a message the server never got is sent again after the resume', async () => {
    const name = room();
    const bob = await joined(server, name);
    const alice = await widgetClient(name);
    const bobGot = inbox(bob.socket);
    // The link dies with the hangup on the wire: the server never sees it.
    onFirst('hangup', (socket) => socket.conn.close());
    await alice.client.send('hangup', { callId: 'c1' });
    await sleep(100);
    assert.equal(alice.resumed(), 1);
    assert.deepEqual(
      bobGot.filter(([event]) => event === 'hangup'),
      [['hangup', { callId: 'c1', from: alice.joinResult.id, seq: 1 }]],
    );
    alice.client.close();
    bob.socket.close();
  });

  it('a message whose ack died with the link is not delivered twice', async () => {
    const name = room();
    const bob = await joined(server, name);
    const alice = await widgetClient(name);
    const bobGot = inbox(bob.socket);
    // The server handles it (Bob gets it) but the ack never leaves: the client cannot tell, and sends again.
    onFirst('hangup', (socket, packet, deliver) => {
      deliver({ data: packet.data });
      socket.conn.close();
    });
    await alice.client.send('hangup', { callId: 'c2' });
    await alice.client.send('hangup', { callId: 'c3' });
    await sleep(100);
    assert.equal(alice.resumed(), 1);
    assert.deepEqual(
      bobGot.filter(([event]) => event === 'hangup').map(([, payload]) => payload.callId),
      ['c2', 'c3'],
    );
    alice.client.close();
    bob.socket.close();
  });

  it('messages to it that its dead link swallowed arrive after the resume, once each, in order', async () => {
    const name = room();
    const bob = await joined(server, name);
    const alice = await widgetClient(name);
    // Alice's connection dies without the server noticing at once: what Bob sends meanwhile goes into it.
    const aliceSocket = [...server.io.sockets.sockets.values()].find((s) => s.id !== bob.socket.id && s.rooms.size > 0 && s.connected)!;
    const transport = aliceSocket.conn.transport as unknown as { send(): void; socket: { terminate(): void } };
    transport.send = () => {};
    for (const id of ['c4', 'c5', 'c6']) await new Promise((resolve) => bob.socket.emit('hangup', { callId: id }, resolve));
    assert.equal(alice.messages.length, 0);
    transport.socket.terminate();
    for (let i = 0; i < 50 && alice.resumed() === 0; i++) await sleep(100);
    await sleep(200);
    assert.equal(alice.resumed(), 1);
    assert.deepEqual(
      alice.messages.filter((m) => m.event === 'hangup').map((m) => (m.payload as { callId: string }).callId),
      ['c4', 'c5', 'c6'],
    );
    alice.client.close();
    bob.socket.close();
  });

  it('a peer\'s message relayed twice (as a restarted server does with what the peer resends) reaches it once', async () => {
    const name = room();
    const bob = await joined(server, name);
    const alice = await widgetClient(name);
    await new Promise((resolve) => bob.socket.emit('hangup', { callId: 'c7', seq: 1 }, resolve));
    // A server that restarted has no record of seq 1 and relays Bob's resend: the same message, again.
    const aliceSocket = [...server.io.sockets.sockets.values()].find((s) => s.id !== bob.socket.id && s.connected)!;
    aliceSocket.emit('hangup', { callId: 'c7', from: bob.ack.id, seq: 1 });
    await new Promise((resolve) => bob.socket.emit('hangup', { callId: 'c8', seq: 2 }, resolve));
    await sleep(100);
    assert.deepEqual(
      alice.messages.filter((m) => m.event === 'hangup').map((m) => m.payload),
      [
        { callId: 'c7', from: bob.ack.id, seq: 1 },
        { callId: 'c8', from: bob.ack.id, seq: 2 },
      ],
    );
    alice.client.close();
    bob.socket.close();
  });
});
