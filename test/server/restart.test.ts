/**
 * The embedded default across a restart of the server process: without RESUME_SECRET the secret comes from
 * the state file, so a call's resume tokens still work once the server is back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { startServer } from '../support/servers.mjs';

type Running = Awaited<ReturnType<typeof startServer>>;

let dir: string;
const running = new Set<Running>();
const sockets = new Set<Socket>();
before(async () => (dir = await mkdtemp(join(tmpdir(), 'call-widget-restart-'))));
after(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all([...running].map((server) => server.stop()));
  await rm(dir, { recursive: true, force: true });
});

async function start(stateFile: string, port = '0'): Promise<Running> {
  // RESUME_SECRET empty counts as unset, whatever the environment running the tests holds.
  const server = await startServer({ env: { RESUME_SECRET: '', STATE_FILE: stateFile, ALLOWED_ORIGINS: '*', PORT: port } });
  running.add(server);
  return server;
}

async function stop(server: Running) {
  await server.stop();
  running.delete(server);
}

async function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.add(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.connected ? socket.once('disconnect', () => resolve()) : resolve()));
const joinRoom = (socket: Socket, payload: object): Promise<any> => socket.timeout(3000).emitWithAck('join', { v: PROTOCOL_VERSION, ...payload });

describe('a restart of the server without RESUME_SECRET', () => {
  it('keeps resume tokens valid: the secret comes from the state file, and the log names the file, never the secret', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await start(stateFile);
    const room = `restart-${Math.random().toString(36).slice(2)}`;
    const a = await connect(first.url);
    const b = await connect(first.url);
    const aJoined = await joinRoom(a, { room });
    const announced = new Promise<any>((resolve) => a.once('peer-joined', resolve));
    const bJoined = await joinRoom(b, { room });
    assert.equal(aJoined.ok && bJoined.ok, true);
    // A keeps the newest token it has: the one peer-joined brought, naming B.
    const aToken: string = (await announced).resumeToken;

    const secret = JSON.parse(await readFile(stateFile, 'utf8')).resumeSecret as string;
    assert.match(first.output(), new RegExp(`resume tokens: signed with the secret generated into ${stateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(!first.output().includes(secret), 'the secret is not logged');

    const port = new URL(first.url).port;
    const gone = Promise.all([closed(a), closed(b)]);
    await stop(first);
    await gone;

    const second = await start(stateFile, port);
    assert.equal(second.url, first.url);
    assert.match(second.output(), /resume tokens: signed with the secret kept in /);
    assert.ok(!second.output().includes(secret), 'the secret is not logged');

    const a2 = await connect(second.url);
    const aBack = await joinRoom(a2, { room, resume: aToken });
    assert.deepEqual(
      { ok: aBack.ok, resumed: aBack.resumed, id: aBack.id, polite: aBack.polite },
      { ok: true, resumed: true, id: aJoined.id, polite: aJoined.polite },
    );
    const b2 = await connect(second.url);
    const bBack = await joinRoom(b2, { room, resume: bJoined.resumeToken });
    assert.deepEqual(
      { ok: bBack.ok, resumed: bBack.resumed, id: bBack.id, peer: bBack.peer },
      { ok: true, resumed: true, id: bJoined.id, peer: { id: aJoined.id } },
    );

    // And the call's signaling goes on between them.
    const got = new Promise<any>((resolve) => b2.once('hangup', resolve));
    assert.equal((await a2.timeout(3000).emitWithAck('hangup', { callId: 'c' })).ok, true);
    assert.equal((await got).from, aJoined.id);
  });
});
