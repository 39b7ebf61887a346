/**
 * ICE server providers behind `GET /ice-servers`: coturn (minted here), Twilio and Cloudflare (fetched from
 * their APIs). The APIs are fakes on 127.0.0.1 that check the documented request and answer the documented
 * shapes; nothing here ever reaches the real services.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { CallServer, CallServerOptions } from '../../server/app.js';
import type { IceProviderConfig } from '../../server/config.js';
import { createIceServerSource, IceProviderError } from '../../server/ice-providers.js';
import { signRoomToken } from '../../server/room-auth.js';
import { testServer } from './helpers.js';

const SID = `AC${'0a1b2c3d'.repeat(4)}`;
const TWILIO_TOKEN = 'f00dfeed'.repeat(4);
const TWILIO_BASIC = Buffer.from(`${SID}:${TWILIO_TOKEN}`).toString('base64');
const CF_KEY_ID = '5c1e0b6a9d2f47e3a8c4b7d6e1f0a2b3';
const CF_TOKEN = 'cf-turn-api-token-7d1c9a2e5b8f';
const TURN_SECRET = 'coturn-shared-secret-0123';
const ROOM_TOKEN_SECRET = 'room-token-secret-0123456789abcdef';
/** The TURN password inside the providers' answers: a credential too, never to be logged. */
const PROVIDER_PASSWORD = 'provider-turn-password-9f8e7d';
const SECRETS = [TWILIO_TOKEN, TWILIO_BASIC, CF_TOKEN, TURN_SECRET, PROVIDER_PASSWORD];

const STATIC = '[{"urls":"stun:stun.example.com:3478"}]';
const TWILIO_ENV = { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, ICE_SERVERS: STATIC };
const CLOUDFLARE_ENV = { CLOUDFLARE_TURN_KEY_ID: CF_KEY_ID, CLOUDFLARE_TURN_API_TOKEN: CF_TOKEN, ICE_SERVERS: STATIC };

// ---------------------------------------------------------------------------------------------------------
// Fakes

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
/** `'hang'` accepts the request and never answers. */
type Answer = { status: number; body: unknown; delayMs?: number } | 'hang';

interface FakeApi {
  url: string;
  requests: Seen[];
  answer: (seen: Seen) => Answer;
}

/** An HTTP server on loopback that records every request and answers with `answer`, which tests may swap. */
async function fakeApi(t: TestContext, answer: FakeApi['answer']): Promise<FakeApi> {
  const fake: FakeApi = { url: '', requests: [], answer };
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const seen = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body };
    fake.requests.push(seen);
    const reply = fake.answer(seen);
    if (reply === 'hang') return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    response.writeHead(reply.status, { 'Content-Type': 'application/json' });
    response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return fake;
}

/** Twilio's token resource as its API documents it: string ttl, legacy `url` next to (or instead of) `urls`. */
const twilioToken = (ttl = '86400') => ({
  username: 'a9e3f1c2b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1',
  password: PROVIDER_PASSWORD,
  ttl,
  account_sid: SID,
  date_created: 'Mon, 23 Nov 2026 10:00:00 +0000',
  date_updated: 'Mon, 23 Nov 2026 10:00:00 +0000',
  ice_servers: [
    { url: 'stun:global.stun.twilio.com:3478', urls: 'stun:global.stun.twilio.com:3478' },
    {
      url: 'turn:global.turn.twilio.com:3478?transport=udp',
      urls: 'turn:global.turn.twilio.com:3478?transport=udp',
      username: 'twilio-user',
      credential: PROVIDER_PASSWORD,
    },
    { url: 'turn:global.turn.twilio.com:443?transport=tcp', username: 'twilio-user', credential: PROVIDER_PASSWORD },
  ],
});

const CLOUDFLARE_TURN = {
  urls: [
    'turn:turn.cloudflare.com:3478?transport=udp',
    'turn:turn.cloudflare.com:53?transport=udp',
    'turn:turn.cloudflare.com:3478?transport=tcp',
    'turns:turn.cloudflare.com:443?transport=tcp',
  ],
  username: 'cf-user',
  credential: PROVIDER_PASSWORD,
};
/** Cloudflare's generate-ice-servers answer: a list, or in older answers one object. No ttl. */
const cloudflareServers = (asObject = false) => ({
  iceServers: asObject
    ? CLOUDFLARE_TURN
    : [{ urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] }, CLOUDFLARE_TURN],
});

/** Answers like the real APIs only when the request is exactly as documented; 400 otherwise. */
const twilioApi =
  (ttl?: string) =>
  (seen: Seen): Answer =>
    seen.method === 'POST' &&
    seen.path === `/2010-04-01/Accounts/${SID}/Tokens.json` &&
    seen.headers.authorization === `Basic ${TWILIO_BASIC}`
      ? { status: 201, body: twilioToken(ttl) }
      : { status: 400, body: { code: 20001, message: 'unexpected request', status: 400 } };

const cloudflareApi =
  (asObject?: boolean) =>
  (seen: Seen): Answer =>
    seen.method === 'POST' &&
    seen.path === `/v1/turn/keys/${CF_KEY_ID}/credentials/generate-ice-servers` &&
    seen.headers.authorization === `Bearer ${CF_TOKEN}`
      ? { status: 201, body: cloudflareServers(asObject) }
      : { status: 400, body: { error: 'unexpected request' } };

async function serverFor(t: TestContext, env: Record<string, string>, fake?: FakeApi, options: CallServerOptions = {}) {
  const logs: string[] = [];
  const server = await testServer(env, {
    log: (line) => logs.push(line),
    providerBaseUrls: fake && { twilio: fake.url, cloudflare: fake.url },
    ...options,
  });
  t.after(() => server.close());
  return { server, logs };
}

const iceServers = async (server: CallServer, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}/ice-servers`, { headers });
  return { status: response.status, body: (await response.json()) as any };
};

function assertNoSecrets(...texts: string[]) {
  for (const text of texts) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('Twilio Network Traversal Service', () => {
  it('sends the documented request: POST to the account Tokens.json, Basic auth, form body Ttl', async (t) => {
    const fake = await fakeApi(t, twilioApi());
    const { server } = await serverFor(t, { ...TWILIO_ENV, TWILIO_TTL: '1800' }, fake);
    assert.equal((await iceServers(server)).status, 200);
    const [seen] = fake.requests;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, `/2010-04-01/Accounts/${SID}/Tokens.json`);
    assert.equal(seen.headers.authorization, `Basic ${TWILIO_BASIC}`);
    assert.match(seen.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    assert.equal(seen.body, 'Ttl=1800');
  });

  it('turns the answer into RTCIceServer[] after the static servers: url becomes urls, STUN stays without credentials', async (t) => {
    const fake = await fakeApi(t, twilioApi());
    const { server } = await serverFor(t, TWILIO_ENV, fake);
    const { status, body } = await iceServers(server);
    assert.equal(status, 200);
    assert.deepEqual(body.iceServers, [
      { urls: 'stun:stun.example.com:3478' },
      { urls: 'stun:global.stun.twilio.com:3478' },
      { urls: 'turn:global.turn.twilio.com:3478?transport=udp', username: 'twilio-user', credential: PROVIDER_PASSWORD },
      { urls: 'turn:global.turn.twilio.com:443?transport=tcp', username: 'twilio-user', credential: PROVIDER_PASSWORD },
    ]);
    // Twilio's "86400" is longer than the 7200 s asked for; the request is what counts.
    assert.ok(body.ttl <= 7200 && body.ttl >= 7198, `ttl ${body.ttl}`);
  });

  it("takes a shorter ttl from Twilio's string", async (t) => {
    const fake = await fakeApi(t, twilioApi('600'));
    const { server } = await serverFor(t, TWILIO_ENV, fake);
    const { body } = await iceServers(server);
    assert.ok(body.ttl <= 600 && body.ttl >= 598, `ttl ${body.ttl}`);
  });

  it('asks Twilio once for many page loads while the credentials are fresh', async (t) => {
    const fake = await fakeApi(t, twilioApi());
    const { server } = await serverFor(t, TWILIO_ENV, fake);
    const answers: any[] = [];
    for (let i = 0; i < 4; i++) answers.push((await iceServers(server)).body);
    assert.equal(fake.requests.length, 1);
    assert.ok(answers.every((a) => JSON.stringify(a.iceServers) === JSON.stringify(answers[0].iceServers)));
  });

  it('shares one request among visitors who ask at the same time', async (t) => {
    const fake = await fakeApi(t, (seen) => ({ ...(twilioApi()(seen) as object), delayMs: 150 }) as Answer);
    const { server } = await serverFor(t, TWILIO_ENV, fake);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => iceServers(server)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
    assert.equal(fake.requests.length, 1);
  });
});

describe('Cloudflare Realtime TURN', () => {
  it('sends the documented request: POST to the key generate-ice-servers, Bearer token, JSON body ttl', async (t) => {
    const fake = await fakeApi(t, cloudflareApi());
    const { server } = await serverFor(t, { ...CLOUDFLARE_ENV, CLOUDFLARE_TURN_TTL: '900' }, fake);
    assert.equal((await iceServers(server)).status, 200);
    const [seen] = fake.requests;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, `/v1/turn/keys/${CF_KEY_ID}/credentials/generate-ice-servers`);
    assert.equal(seen.headers.authorization, `Bearer ${CF_TOKEN}`);
    assert.match(seen.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(seen.body), { ttl: 900 });
  });

  it('hands out the servers after the static ones, without the port 53 URLs browsers refuse, for the requested ttl', async (t) => {
    const fake = await fakeApi(t, cloudflareApi());
    const { server } = await serverFor(t, { ...CLOUDFLARE_ENV, CLOUDFLARE_TURN_TTL: '900' }, fake);
    const { body } = await iceServers(server);
    assert.deepEqual(body.iceServers, [
      { urls: 'stun:stun.example.com:3478' },
      { urls: ['stun:stun.cloudflare.com:3478'] },
      {
        urls: [
          'turn:turn.cloudflare.com:3478?transport=udp',
          'turn:turn.cloudflare.com:3478?transport=tcp',
          'turns:turn.cloudflare.com:443?transport=tcp',
        ],
        username: 'cf-user',
        credential: PROVIDER_PASSWORD,
      },
    ]);
    assert.ok(body.ttl <= 900 && body.ttl >= 898, `ttl ${body.ttl}`);
  });

  it('accepts the older answer with one server object instead of a list', async (t) => {
    const fake = await fakeApi(t, cloudflareApi(true));
    const { server } = await serverFor(t, CLOUDFLARE_ENV, fake);
    const { status, body } = await iceServers(server);
    assert.equal(status, 200);
    assert.equal(body.iceServers.length, 2);
    assert.equal(body.iceServers[1].username, 'cf-user');
    assert.equal(body.iceServers[1].urls.length, 3);
  });

  it('caches the credentials too', async (t) => {
    const fake = await fakeApi(t, cloudflareApi());
    const { server } = await serverFor(t, CLOUDFLARE_ENV, fake);
    await iceServers(server);
    await iceServers(server);
    assert.equal(fake.requests.length, 1);
  });
});

describe('provider failures', () => {
  const failures: Array<[string, Answer, RegExp]> = [
    ['an HTTP error', { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } }, /^ICE servers unavailable: Twilio answered HTTP 401$/],
    ['a body that is not JSON', { status: 201, body: '<html>gateway</html>' }, /^ICE servers unavailable: Twilio answered something that is not JSON$/],
    ['JSON without servers', { status: 201, body: { message: 'ok' } }, /Twilio answered something unexpected: no ice_servers list in it/],
    [
      'a TURN server without credentials',
      { status: 201, body: { ice_servers: [{ urls: 'turn:t.example:3478', username: 'u' }], ttl: '600' } },
      /Twilio answered something unexpected: \[0\]: a turn: or turns: server needs a username and a credential/,
    ],
    [
      'a server that is not an object',
      { status: 201, body: { ice_servers: [`turn:u:${PROVIDER_PASSWORD}@t.example`], ttl: '600' } },
      /Twilio answered something unexpected: \[0\]: not an object/,
    ],
    ['an empty list', { status: 201, body: { ice_servers: [], ttl: '600' } }, /Twilio answered an empty list of ICE servers/],
  ];
  for (const [what, answer, message] of failures) {
    it(`answers 502 with the reason when Twilio sends ${what}`, async (t) => {
      const fake = await fakeApi(t, () => answer);
      const { server, logs } = await serverFor(t, TWILIO_ENV, fake);
      const { status, body } = await iceServers(server);
      assert.equal(status, 502);
      assert.match(body.error, message);
      assert.ok(logs.some((line) => line.startsWith('ICE servers: Twilio')), logs.join('\n'));
    });
  }

  it('keeps the secrets out of answers and logs even when the provider echoes them', async (t) => {
    // A worst case: an API that quotes the request's Authorization header in its error.
    const fake = await fakeApi(t, (seen) => ({ status: 401, body: { message: 'Authenticate', got: seen.headers.authorization } }));
    const twilio = await serverFor(t, TWILIO_ENV, fake);
    const cloudflare = await serverFor(t, CLOUDFLARE_ENV, fake);
    const answers = [await iceServers(twilio.server), await iceServers(cloudflare.server)];
    assert.deepEqual(answers.map((a) => a.status), [502, 502]);
    const logs = [...twilio.logs, ...cloudflare.logs];
    // The provider's words reach the operator's log, with the secret cut out.
    assert.ok(logs.some((line) => /HTTP 401: .*Authenticate.*\[redacted\]/.test(line)), logs.join('\n'));
    assertNoSecrets(...logs, ...answers.map((a) => JSON.stringify(a.body)));
  });

  it('gives up on a provider that does not answer within the timeout', async (t) => {
    const fake = await fakeApi(t, () => 'hang');
    const { server, logs } = await serverFor(t, TWILIO_ENV, fake, { providerTimeoutMs: 200 });
    const started = Date.now();
    const { status, body } = await iceServers(server);
    assert.equal(status, 502);
    assert.equal(body.error, 'ICE servers unavailable: Twilio did not answer within 0.2 s');
    assert.ok(Date.now() - started < 2000);
    assertNoSecrets(...logs);
  });

  it('says when a provider cannot be reached at all', async (t) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const { server, logs } = await serverFor(t, CLOUDFLARE_ENV, undefined, { providerBaseUrls: { cloudflare: url } });
    const { status, body } = await iceServers(server);
    assert.equal(status, 502);
    assert.equal(body.error, 'ICE servers unavailable: Cloudflare could not be reached');
    assert.ok(logs.some((line) => line.includes('ECONNREFUSED')), logs.join('\n'));
  });

  it('does not ask a failing provider again for a few seconds', async (t) => {
    const fake = await fakeApi(t, () => ({ status: 503, body: { message: 'busy' } }));
    const { server } = await serverFor(t, TWILIO_ENV, fake);
    assert.equal((await iceServers(server)).status, 502);
    assert.equal((await iceServers(server)).status, 502);
    assert.equal(fake.requests.length, 1);
  });
});

describe('renewal of shared credentials', () => {
  const twilio: IceProviderConfig = { kind: 'twilio', accountSid: SID, authToken: TWILIO_TOKEN, ttlSeconds: 600 };

  it('renews at half the lifetime, and bridges a failed renewal with credentials that are still valid', async (t) => {
    const fake = await fakeApi(t, twilioApi('600'));
    let clock = 0;
    const logs: string[] = [];
    const source = createIceServerSource(
      { iceServers: [], iceProvider: twilio },
      { baseUrls: { twilio: fake.url }, now: () => clock, log: (line) => logs.push(line) },
    );
    t.after(() => source.close());
    const get = () => source.getIceServers({ userKey: 'address:192.0.2.1' });

    assert.equal((await get()).ttl, 600);
    clock = 299_000;
    assert.equal((await get()).ttl, 301, 'still fresh: served from the cache');
    assert.equal(fake.requests.length, 1);
    clock = 300_000;
    assert.equal((await get()).ttl, 600, 'half the lifetime gone: renewed');
    assert.equal(fake.requests.length, 2);

    fake.answer = () => ({ status: 500, body: { message: 'down' } });
    clock = 600_000;
    assert.equal((await get()).ttl, 300, 'renewal failed: the still valid credentials are handed out');
    assert.equal(fake.requests.length, 3);
    assert.ok(logs.some((line) => line.includes('Twilio answered HTTP 500')));
    clock = 601_000;
    await get();
    assert.equal(fake.requests.length, 3, 'no new request right after a failure');

    clock = 841_000;
    await assert.rejects(get(), (error: unknown) => error instanceof IceProviderError && /HTTP 500/.test(error.message));
    assert.equal(fake.requests.length, 4, 'less than a minute left: not handed out any more');

    fake.answer = twilioApi('600');
    clock = 842_000;
    await assert.rejects(get(), IceProviderError);
    assert.equal(fake.requests.length, 4, 'still backing off');
    clock = 846_000;
    assert.equal((await get()).ttl, 600, 'the provider is back');
    assert.equal(fake.requests.length, 5);
  });

  it('answers with the static servers alone, valid for a day, when no provider is configured', async () => {
    const source = createIceServerSource({ iceServers: [{ urls: 'stun:stun.example.com' }], iceProvider: null });
    assert.deepEqual(await source.getIceServers({ userKey: 'address:192.0.2.1' }), { iceServers: [{ urls: 'stun:stun.example.com' }], ttl: 86_400 });
  });
});

describe('coturn usernames', () => {
  const COTURN_ENV = { TURN_URLS: 'turn:turn.example.com:3478', TURN_SECRET };
  const userId = async (server: CallServer, token?: string) => {
    const { body } = await iceServers(server, token ? { Authorization: `Bearer ${token}` } : {});
    return (body.iceServers[0].username as string).split(':')[1];
  };

  it('gives a participant with a room token the same opaque id every time, on every server sharing the secret', async (t) => {
    const env = { ...COTURN_ENV, ROOM_TOKEN_SECRET };
    const { server } = await serverFor(t, env);
    const { server: other } = await serverFor(t, env);
    const sub = 'participant-alice';
    const token = (room: string, who = sub) => signRoomToken(ROOM_TOKEN_SECRET, { room, sub: who });
    const id = await userId(server, await token('room-1'));
    // Another token for the same participant (another room), and another server: the same id.
    assert.equal(await userId(server, await token('room-2')), id);
    assert.equal(await userId(other, await token('room-1')), id);
    assert.notEqual(await userId(server, await token('room-1', 'participant-bob')), id);
    assert.match(id, /^[A-Za-z0-9_-]{16}$/);
    // Neither the sub nor a plain digest of it, which could be checked against guessed subs.
    assert.ok(!id.includes(sub));
    for (const encoding of ['hex', 'base64url'] as const) {
      assert.ok(!createHash('sha256').update(sub).digest(encoding).startsWith(id));
    }
  });

  it('without room auth, gives each client address one id, whatever bearer token it sends', async (t) => {
    const { server, logs } = await serverFor(t, COTURN_ENV);
    const ids = await Promise.all([undefined, 'session-token-of-alice', 'session-token-of-bob'].map((token) => userId(server, token)));
    assert.equal(new Set(ids).size, 1);
    assert.match(ids[0], /^[A-Za-z0-9_-]{16}$/);
    assert.ok(!ids[0].includes('127.0.0.1'));
    assertNoSecrets(...logs, ...ids);
  });

  it('refuses an absurdly long bearer token', async (t) => {
    const { server } = await serverFor(t, COTURN_ENV);
    const { status, body } = await iceServers(server, { Authorization: `Bearer ${'x'.repeat(5000)}` });
    assert.equal(status, 400);
    assert.match(body.error, /at most 4096 characters/);
  });
});
