/** `POST /leave`: the leave a page sends with `navigator.sendBeacon` as it goes away. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'socket.io-client';
import type { CallServer } from '../../server/app.js';
import { LEAVE_PATH, PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, inbox, joined, nextEvent, request, testServer } from './helpers.js';

const ORIGIN = 'https://shop.example';
let server: CallServer;
const logged: string[] = [];
before(async () => {
  // TRUST_PROXY lets each test speak from an address of its own, so one test's beacons do not use up
  // another's allowance; the server's own grace (30 s) is far longer than any wait below.
  server = await testServer({ ALLOWED_ORIGINS: ORIGIN, TRUST_PROXY: '1' }, { log: (line) => logged.push(line) });
});
after(() => server.close());

let addresses = 0;
/** A client address of its own (TEST-NET-2), for one test's beacons. */
const newAddress = () => `198.51.100.${++addresses}`;

interface BeaconOptions {
  origin?: string | null;
  type?: string;
  from?: string;
  method?: string;
}

/** What `sendBeacon(url, token)` sends: a POST with the token as text/plain, from the page's origin. */
async function beacon(body: string, { origin = ORIGIN, type = 'text/plain;charset=UTF-8', from = newAddress(), method = 'POST' }: BeaconOptions = {}) {
  const headers: Record<string, string> = { 'Content-Type': type, 'X-Forwarded-For': from };
  if (origin !== null) headers.Origin = origin;
  const response = await fetch(`${server.url}${LEAVE_PATH}`, { method, headers, ...(method === 'POST' && { body }) });
  await response.arrayBuffer();
  return response;
}

const room = () => `beacon-${Math.random().toString(36).slice(2)}`;

/**
 * Two participants in a room; `token` is A's current resume token (the one `peer-joined` brought when B came,
 * which is what the widget keeps).
 */
async function pair() {
  const name = room();
  const a = await joined(server, name);
  const announced = nextEvent(a.socket, 'peer-joined');
  const b = await joined(server, name);
  const token: string = (await announced).resumeToken;
  return { name, a, b, token };
}

/** A is still in the room with B: a relayed message gets through. */
async function stillThere(from: Socket, to: Socket) {
  const got = nextEvent(to, 'candidate');
  assert.equal((await request(from, 'candidate', { callId: 'c', candidate: { candidate: '' } })).ok, true);
  await got;
}

/** Waits until the server has handled the socket's close. */
async function closeAndWait(socket: Socket) {
  const serverSide = server.io.sockets.sockets.get(socket.id!);
  const gone = serverSide ? once(serverSide, 'disconnect') : Promise.resolve();
  socket.close();
  await gone;
}

describe('POST /leave', () => {
  it('removes the participant at once: the peer gets peer-left with reason left within a second', async () => {
    const { name, a, b, token } = await pair();
    const bInbox = inbox(b.socket);
    const left = nextEvent(b.socket, 'peer-left', 1000);
    const response = await beacon(token);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'left' });

    // Its connection, still open here, speaks for nobody now: a `leave` there too (Chrome sends both) and
    // its close announce nothing more.
    const ack = await request(a.socket, 'leave', {});
    assert.equal(ack.error?.code, 'not-in-room');
    await closeAndWait(a.socket);
    // The room has a free place again, and B hears of the newcomer after nothing else.
    const announced = nextEvent(b.socket, 'peer-joined');
    const c = await joined(server, name);
    await announced;
    assert.deepEqual(bInbox.map(([event]) => event), ['peer-left', 'peer-joined']);
    for (const line of logged) assert.ok(!line.includes(token), 'the token is never logged');
    b.socket.close();
    c.socket.close();
  });

  it('takes a beacon without Origin (not a browser), within the rate limit like any other', async () => {
    const { a, b, token } = await pair();
    const left = nextEvent(b.socket, 'peer-left', 1000);
    assert.equal((await beacon(token, { origin: null })).status, 204);
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'left' });
    a.socket.close();
    b.socket.close();
  });

  it('refuses another origin with 403, and nobody leaves', async () => {
    const { a, b, token } = await pair();
    const response = await fetch(`${server.url}${LEAVE_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example', 'X-Forwarded-For': newAddress() },
      body: token,
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    await stillThere(a.socket, b.socket);
    a.socket.close();
    b.socket.close();
  });

  it('takes text/plain only, and POST only', async () => {
    const { a, b, token } = await pair();
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plainx']) {
      assert.equal((await beacon(token, { type })).status, 415, type);
    }
    const get = await beacon(token, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    await stillThere(a.socket, b.socket);
    a.socket.close();
    b.socket.close();
  });

  it('refuses a body over 2 KiB with 413: a declared one before reading it', async () => {
    const { a, b, token } = await pair();
    assert.equal((await beacon(token + 'A'.repeat(2048))).status, 413);
    await stillThere(a.socket, b.socket);
    a.socket.close();
    b.socket.close();
  });

  it('stops reading a body that grows past 2 KiB, and closes the connection', async () => {
    const chunk = Buffer.alloc(1024, 'A');
    const outgoing = httpRequest(`${server.url}${LEAVE_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: ORIGIN, 'X-Forwarded-For': newAddress() },
    });
    outgoing.on('error', () => {}); // the server closes the connection under the rest of the body
    const answered = once(outgoing, 'response');
    let sent = 0;
    let response: import('node:http').IncomingMessage | undefined;
    void answered.then(([r]) => (response = r));
    // Chunked, so no length is declared: one kilobyte at a time until the server answers.
    while (!response && sent < 1024) {
      await new Promise<void>((resolve) => outgoing.write(chunk, () => resolve()));
      sent++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [answer] = await answered;
    assert.equal(answer.statusCode, 413);
    assert.equal(answer.headers.connection, 'close');
    assert.ok(sent < 1024, `the server answered after ${sent} KiB`);
    answer.resume();
    outgoing.destroy();
  });

  it('answers 400 for a body that is not a resume token, 204 for a forged one, and nobody leaves', async () => {
    const { a, b, token } = await pair();
    for (const body of ['', 'not a token!', `${token}\n`, 'x'.repeat(1025)]) assert.equal((await beacon(body)).status, 400, JSON.stringify(body.slice(0, 40)));
    const [claim, mac] = token.split('.');
    const forged = `${claim}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    assert.equal((await beacon(forged)).status, 204);
    // Well-formed, and nobody's: the same answer as a live token.
    assert.equal((await beacon('A'.repeat(40) + '.' + 'B'.repeat(43))).status, 204);
    await stillThere(a.socket, b.socket);
    a.socket.close();
    b.socket.close();
  });

  it("does nothing with a token a resume has replaced (204 all the same); the participant's newest one works", async () => {
    const { name, a, b, token } = await pair();
    const again = await client(server);
    const resumed = await request(again, 'join', { v: PROTOCOL_VERSION, room: name, resume: token });
    assert.equal(resumed.resumed, true);
    assert.equal((await beacon(token)).status, 204);
    await stillThere(again, b.socket);
    const left = nextEvent(b.socket, 'peer-left', 1000);
    assert.equal((await beacon(resumed.resumeToken)).status, 204);
    assert.deepEqual(await left, { peerId: a.ack.id, reason: 'left' });
    // A participant that left is gone for good: its token leaves nobody a second time.
    assert.equal((await beacon(resumed.resumeToken)).status, 204);
    a.socket.close();
    again.close();
    b.socket.close();
  });

  it('limits beacons per client address (429 with Retry-After), before reading the body', async () => {
    const { a, b, token } = await pair();
    const from = newAddress();
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push((await beacon('not a token!', { from })).status);
    assert.deepEqual(new Set(answers), new Set([400]));
    const limited = await beacon(token, { from });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    await stillThere(a.socket, b.socket);
    // Another address has its own allowance.
    const left = nextEvent(b.socket, 'peer-left', 1000);
    assert.equal((await beacon(token)).status, 204);
    await left;
    a.socket.close();
    b.socket.close();
  });
});
