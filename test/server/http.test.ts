/** The server's HTTP side: health, ICE servers with minted TURN credentials, origins, static files. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CallServer } from '../../server/app.js';
import { client, testServer } from './helpers.js';

const SECRET = 'test-secret-0123456789';
let server: CallServer;
before(async () => {
  server = await testServer({
    ALLOWED_ORIGINS: 'https://shop.example',
    ICE_SERVERS: '[{"urls":"stun:stun.example.com:3478"}]',
    TURN_URLS: 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp',
    TURN_SECRET: SECRET,
    TURN_TTL: '900',
  });
});
after(() => server.close());

describe('GET /healthz', () => {
  it('answers ok, and no counts unless HEALTHZ_DETAILS is on (see http-hardening.test.ts)', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});

describe('GET /ice-servers', () => {
  it('returns the static servers and a TURN server with fresh credentials coturn will accept', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await fetch(`${server.url}/ice-servers`, { headers: { Origin: 'https://shop.example' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body: any = await response.json();
    assert.equal(body.ttl, 900);
    assert.deepEqual(body.iceServers[0], { urls: 'stun:stun.example.com:3478' });
    const turn = body.iceServers[1];
    assert.deepEqual(turn.urls, ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp']);
    const [expiry] = turn.username.split(':');
    assert.ok(Number(expiry) >= before + 900 && Number(expiry) <= before + 902);
    assert.equal(turn.credential, createHmac('sha1', SECRET).update(turn.username).digest('base64'));
  });

  it('gives one client the same user id in every username, so coturn counts its quota per client', async () => {
    const ids = await Promise.all(
      [1, 2].map(() => fetch(`${server.url}/ice-servers`).then((r) => r.json()).then((b: any) => b.iceServers[1].username.split(':')[1])),
    );
    assert.equal(ids[0], ids[1]);
  });

  it('answers the CORS preflight that an Authorization header causes', async () => {
    const response = await fetch(`${server.url}/ice-servers`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Headers': 'authorization' },
    });
    assert.equal(response.status, 204);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });

  it('refuses an origin that is not allowed', async () => {
    const response = await fetch(`${server.url}/ice-servers`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});

describe('signaling origin check', () => {
  it('refuses a Socket.IO connection from another origin with a readable reason', async () => {
    await assert.rejects(client(server, { extraHeaders: { Origin: 'https://evil.example' } }), /origin-not-allowed/);
  });

  it('accepts the allowed origin', async () => {
    const socket = await client(server, { extraHeaders: { Origin: 'https://shop.example' } });
    socket.close();
  });

  it('refuses a token that is not a string', async () => {
    await assert.rejects(client(server, { auth: { token: { nested: true } } }), /invalid-token/);
  });

  it('lets go of the HTTP request once connected, over WebSocket and after an upgrade from long-polling', async () => {
    const origin = 'https://shop.example';
    const direct = await client(server, { extraHeaders: { Origin: origin } });
    const upgraded = await client(server, { transports: ['polling', 'websocket'], extraHeaders: { Origin: origin } });
    const upgradedConn = server.io.sockets.sockets.get(upgraded.id!)!.conn;
    await new Promise<void>((resolve) => (upgradedConn.transport.name === 'websocket' ? resolve() : upgradedConn.once('upgrade', () => resolve())));
    for (const socket of [direct, upgraded]) {
      const serverSide = server.io.sockets.sockets.get(socket.id!)!;
      assert.equal(serverSide.request, null);
      // Nor is anything the client wrote into the handshake kept, past the middlewares that read it.
      assert.deepEqual([serverSide.handshake.headers, serverSide.handshake.query, serverSide.handshake.auth], [{}, {}, {}]);
      assert.equal(serverSide.conn.transport.name, 'websocket');
      socket.close();
    }
  });
});

describe('static files', () => {
  it('serves the demo page', async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /<title>call-widget demo<\/title>/);
  });

  it('serves the widget and the chunks it loads on demand beside it, to any origin', async (t) => {
    const chunks = existsSync('dist') ? readdirSync('dist').filter((name) => /^call-widget-[\w-]+\.js$/.test(name)) : [];
    if (chunks.length === 0) return t.skip('no chunks in dist/: run `npm run build` first');
    for (const name of ['call-widget.js', ...chunks]) {
      const response = await fetch(`${server.url}/${name}`, { headers: { origin: 'https://site.example' } });
      assert.equal(response.status, 200, name);
      assert.match(response.headers.get('content-type') ?? '', /javascript/);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.equal(await response.text(), readFileSync(`dist/${name}`, 'utf8'));
    }
    // Only those names: nothing else of dist/ is reached through the short form.
    assert.equal((await fetch(`${server.url}/call-widget.js.map`)).status, 404);
    assert.equal((await fetch(`${server.url}/call-widget-..%2fpackage.json.js`)).status, 404);
  });

  it('does not serve files outside its folders', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/dist/../package.json', '/%2e%2e%2fserver/app.ts']) {
      const response = await fetch(`${server.url}${path}`);
      assert.ok(response.status === 404 || response.status === 400, `${path}: ${response.status}`);
      assert.doesNotMatch(await response.text(), /"name": "call-widget"|startCallServer/);
    }
  });

  it('answers an unknown path with 404 and a malformed one with 400', async () => {
    assert.equal((await fetch(`${server.url}/nothing-here`)).status, 404);
    assert.equal((await fetch(`${server.url}/%E0%A4%A`)).status, 400);
  });
});
