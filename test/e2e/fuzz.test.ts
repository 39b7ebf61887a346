/**
 * The server as `npm start` runs it, with its production limits, under a stranger's abuse: over 10,000
 * malformed packets of many shapes over long-polling and WebSocket, and over 100,000 CONNECT packets in
 * batches. Then it must be up, have grown less than 50 MB, and still connect a real call between two widgets
 * in Chromium.
 *
 * The fuzz comes from other loopback addresses (127.0.1.x: all of 127/8 is loopback on Linux) than the
 * browsers (127.0.0.1), as strangers and visitors would, so that the per-address limits stay the defaults.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { pollingSession, rawHttp, rawWebSocket } from '../support/raw-engine-io.js';
import { startServer } from '../support/servers.mjs';

/** The production defaults of server/config.ts, set explicitly over the test support's generous ones. */
const PRODUCTION_LIMITS = {
  MAX_CONNECTIONS_PER_ADDRESS: '20',
  HANDSHAKE_RATE: '5',
  HANDSHAKE_BURST: '20',
  ADDRESS_SIGNAL_RATE: '200',
  ADDRESS_SIGNAL_BURST: '800',
};

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
before(async () => {
  server = await startServer({ name: 'fuzzed', env: PRODUCTION_LIMITS });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** A small seeded generator, so that a failing run can be repeated. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Malformed Engine.IO and Socket.IO packets, and valid ones mutated: each a string one frame or batch entry. */
function malformed(next: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const shapes: Array<() => string> = [
    () => pick(['', '9', 'x', '6', '5', '3', '1', '2probe', '\u0000', '\ud800', '4', '7', '8']),
    () => `4${pick(['', '9', 'x', '7', '8', '3', '\u0000'])}`,
    () => `40${pick(['{', '{"token":123}', '{"token":"' + 'x'.repeat(5000) + '"}', '[]', 'null', '/nope,', '/admin,{}', '{"__proto__":{"x":1}}'])}`,
    () => `41${pick(['', '/nope,', '{}'])}`,
    () => `42${pick(['', '[', '[]', '[1]', '[null]', '["join"]', '["join",null]', '["join",1,2,3]', '{}', '"join"'])}`,
    () => `42${pick(['', '1', '999999999999999999999', '-1'])}["${pick(['join', 'leave', 'invite', 'candidate', 'description', '__proto__', 'constructor', 'toString', 'x'.repeat(300)])}",${pick(['{}', '[]', '"x"', '1e309', 'true', '{"v":1}', '{"v":1,"room":"../../etc/passwd"}', '{"v":1,"room":"r","displayName":{"toString":1}}', '{"callId":"c","candidate":{"candidate":1}}', nested(64)])}]`,
    () => `42["join",{"v":1,"room":"fuzz-${Math.floor(next() * 50)}","resume":"${pick(['a'.repeat(16), 'x.y', 'eyJyIjoiciJ9.' + 'A'.repeat(43), '.'.repeat(20)])}","received":${pick(['-1', '1e300', '"1"', '0.5', 'null'])}}]`,
    () => `42["description",{"callId":"c","description":{"type":"offer","sdp":"${'a'.repeat(Math.floor(next() * 70_000))}"}}]`,
    () => `43${Math.floor(next() * 1e6)}[${pick(['', '{"ok":true}', 'null'])}]`,
    () => `4${pick(['5', '6'])}${Math.floor(next() * 1e6)}-["x",{"_placeholder":true,"num":${Math.floor(next() * 1e6)}}]`,
    () => `44${pick(['', '{"message":"x"}', '/x,{}'])}`,
    () => `42["candidate",{"callId":"c","candidate":{"candidate":"${'\\u0000'.repeat(10)}${String.fromCharCode(0xd800 + Math.floor(next() * 0x800))}"},"seq":${pick(['0', '-5', '1.5', '9007199254740993', '"1"'])}}]`,
    () => {
      // A valid join, with a few characters changed.
      const chars = [...'42["join",{"v":1,"room":"fuzz-room","displayName":"Ana"}]'];
      for (let i = 0; i < 3; i++) chars[Math.floor(next() * chars.length)] = String.fromCharCode(Math.floor(next() * 0xffff));
      return chars.join('');
    },
  ];
  return pick(shapes)();
}

/** Fuzz sources: addresses 127.0.1.1 onwards, each used for a few connections, well within its limits. */
let nextAddress = 0;
const address = () => `127.0.1.${(nextAddress++ % 250) + 1}`;

describe('the server under fuzz', () => {
  it('stays up, within 50 MB, and still connects a real call', { timeout: 180_000 }, async () => {
    const pid = server.process.pid!;
    const next = random(20261202);
    const before = rssBytes(pid);
    const started = Date.now();
    let packets = 0;
    let connects = 0;

    // Malformed packets over WebSocket: many connections, each sending until the server closes it or 200 are out.
    for (let c = 0; c < 30; c++) {
      const socket = await rawWebSocket(server.url, address());
      socket.send('40');
      for (let i = 0; i < 200 && socket.readyState === socket.OPEN; i++) {
        socket.send(next() < 0.05 ? Buffer.from([next() * 255, 0, 1]) : malformed(next));
        packets++;
      }
      socket.terminate();
    }
    // Malformed packets over long-polling, in batches of 250.
    for (let c = 0; c < 24; c++) {
      const session = await pollingSession(server.url, address()).catch(() => null);
      if (!session) continue;
      const batch = ['40', ...Array.from({ length: 250 }, () => malformed(next))];
      packets += batch.length;
      const answer = await session.post(batch);
      assert.ok([200, 400, 413].includes(answer.status), `POST answered ${answer.status}`);
    }
    // CONNECT floods: batches of 20,000 in one POST, and 20,000 frames on one WebSocket.
    for (let c = 0; c < 4; c++) {
      const session = await pollingSession(server.url, address());
      await session.post(Array(20_000).fill('40'));
      connects += 20_000;
      const socket = await rawWebSocket(server.url, address());
      for (let i = 0; i < 20_000 && socket.readyState === socket.OPEN; i++) socket.send('40');
      connects += 20_000;
      socket.terminate();
    }
    // A connection flood from one address, past its cap and handshake rate: refusals, not a crash.
    const refused = (await Promise.all(Array.from({ length: 40 }, () => rawHttp(`${server.url}/socket.io/?EIO=4&transport=polling`, { localAddress: '127.0.2.1' })))).filter(
      (answer) => answer.status === 403,
    ).length;

    const health = await rawHttp(`${server.url}/healthz`);
    const after = rssBytes(pid);
    const grownMb = (after - before) / 2 ** 20;
    console.log(
      `fuzz: ${packets} malformed packets, ${connects} CONNECTs, ${refused}/40 handshakes refused from one address, ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MB (+${grownMb.toFixed(1)})`,
    );
    assert.ok(packets >= 10_000, `${packets} packets`);
    assert.ok(connects >= 100_000, `${connects} CONNECTs`);
    assert.ok(refused >= 20, `${refused} refused`);
    assert.equal(server.process.exitCode, null, 'the server process is still running');
    assert.equal(health.status, 200);
    assert.ok(grownMb < 50, `RSS grew ${grownMb.toFixed(1)} MB`);

    await realCall(server.url);
  });
});

async function realCall(serverUrl: string) {
  const room = `after-fuzz-${Math.random().toString(36).slice(2, 10)}`;
  const open = async (name: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${serverUrl}/?room=${room}&name=${name}`);
    return page;
  };
  const alice = await open('Alice');
  await alice.locator('call-widget[state="waiting"]').waitFor({ timeout: 20_000 });
  const bob = await open('Bob');
  await bob.locator('call-widget[state="ready"]').waitFor({ timeout: 20_000 });
  await alice.evaluate('document.querySelector("call-widget").call()');
  await bob.locator('call-widget[state="ringing"]').waitFor({ timeout: 20_000 });
  await bob.evaluate('document.querySelector("call-widget").accept()');
  await Promise.all([alice, bob].map((page) => page.locator('call-widget[state="connected"]').waitFor({ timeout: 20_000 })));
  await Promise.all([alice.context().close(), bob.context().close()]);
}
